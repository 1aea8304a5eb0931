/**
 * The tool the gateway tests call, in OpenAI's Chat Completions shape.
 */
export const weather = {
  type: 'function' as const,
  function: {
    name: 'weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
};
