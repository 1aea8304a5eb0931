/**
 * `llm-actors/gateway`: the runtime's clients behind an OpenAI-compatible HTTP endpoint, and
 * the config-file loader of `llm-actors serve`. A separate entry point, so that `llm-actors`
 * itself never loads the HTTP server, prom-client or the YAML parser.
 */
export { createGateway, type Gateway, type GatewayOptions } from './server.js';
export { loadConfigFile, type GatewayConfigFile, type GatewaySettings } from './config-file.js';
export type { OpenAIErrorBody } from './wire.js';
