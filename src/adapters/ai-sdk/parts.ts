/**
 * Image file parts and reasoning parts of an AI SDK prompt in the runtime's shape.
 */
import {
  UnsupportedFunctionalityError,
  type LanguageModelV3FilePart,
  type LanguageModelV3ReasoningPart,
} from '@ai-sdk/provider';
import type { ImagePart, ReasoningPart } from '../../model/chat.js';
import { PROVIDER_OPTIONS_KEY } from './types.js';

/**
 * The key, under this adapter's provider metadata of a reasoning part, of the provider's own
 * reasoning parts (thinking blocks with their signatures, redacted blocks) that the part's
 * text stands for: sent back as they came on the next step, as Anthropic requires in a tool loop.
 */
export const REASONING_PARTS_KEY = 'reasoningParts';

/**
 * An image file part as an image part: an https URL as it is, bytes or base64 as a data URL.
 *
 * @throws UnsupportedFunctionalityError on a file that is not an image, on an image URL that
 *   is not https, and on base64 data without a concrete image type.
 */
export function imagePart(part: LanguageModelV3FilePart): ImagePart {
  const type = part.mediaType.toLowerCase();
  if (!type.startsWith('image/')) {
    throw new UnsupportedFunctionalityError({
      functionality: `file parts of type ${part.mediaType} (llm-actors carries images)`,
    });
  }
  const data = part.data;
  if (data instanceof URL) {
    if (data.protocol === 'https:' || data.protocol === 'data:') return image(data.href);
    throw new UnsupportedFunctionalityError({
      functionality: `image URLs of scheme ${data.protocol} (an https URL or the bytes)`,
    });
  }
  if (type === 'image/*') {
    throw new UnsupportedFunctionalityError({
      functionality: 'image data of media type image/* (name the image type, e.g. image/png)',
    });
  }
  const base64 = typeof data === 'string' ? data : Buffer.from(data).toString('base64');
  return image(`data:${type};base64,${base64}`);
}

function image(url: string): ImagePart {
  return { type: 'image', url };
}

/**
 * A reasoning part of the prompt as the runtime's reasoning parts: the provider's own parts
 * when this adapter handed them out with the text, a signature or redacted data when another
 * Anthropic model did (`providerOptions.anthropic`), else the text alone.
 */
export function reasoningOf(part: LanguageModelV3ReasoningPart): ReasoningPart[] {
  const own = part.providerOptions?.[PROVIDER_OPTIONS_KEY]?.[REASONING_PARTS_KEY];
  // The runtime checks every reasoning part of a request: a mangled one is its INVALID_REQUEST.
  if (Array.isArray(own)) return own as unknown as ReasoningPart[];
  const anthropic = part.providerOptions?.anthropic;
  if (typeof anthropic?.redactedData === 'string') {
    return [{ type: 'redacted-reasoning', data: anthropic.redactedData }];
  }
  if (typeof anthropic?.signature === 'string') {
    return [{ type: 'reasoning', text: part.text, signature: anthropic.signature }];
  }
  return part.text === '' ? [] : [{ type: 'reasoning', text: part.text }];
}
