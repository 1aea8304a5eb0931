/**
 * The answer a stream adds up to, choice by choice: text, reasoning, tool calls reassembled
 * from their fragments by index, and each choice's finish reason. Choices are never mixed.
 */
import type { CachedChoice, CachedCompletion } from '../model/answer.js';
import type { ReasoningPart, TokenLogprob, ToolCall, ToolCallDelta } from '../model/chat.js';
import type { FinishReason, Usage } from '../model/request.js';

/** One choice under way. */
interface Building {
  text: string;
  reasoning: string;
  calls: ToolCall[];
  finishReason: FinishReason;
  parts?: ReasoningPart[];
  logprobs?: TokenLogprob[];
}

/** Every choice of one stream. */
export class StreamAnswer {
  private readonly choices: Building[] = [];

  /** The choice at `index`, made on first use. */
  private at(index: number): Building {
    let choice = this.choices[index];
    if (choice === undefined) {
      for (let i = this.choices.length; i <= index; i++) {
        this.choices[i] = { text: '', reasoning: '', calls: [], finishReason: 'stop' };
      }
      choice = this.choices[index]!;
    }
    return choice;
  }

  text(index: number, text: string): void {
    this.at(index).text += text;
  }

  reasoning(index: number, text: string): void {
    this.at(index).reasoning += text;
  }

  /** Adds a fragment: the first of a call brings its id and name, later ones more arguments. */
  toolCall(index: number, fragment: ToolCallDelta): void {
    const calls = this.at(index).calls;
    const call = (calls[fragment.index] ??= { id: '', name: '', arguments: '' });
    if (fragment.id !== undefined && call.id === '') call.id = fragment.id;
    if (fragment.name !== undefined && call.name === '') call.name = fragment.name;
    call.arguments += fragment.arguments;
  }

  /** Token logprobs, which each chunk carries for its own tokens. */
  logprobs(index: number, tokens: TokenLogprob[]): void {
    const choice = this.at(index);
    if (choice.logprobs === undefined) choice.logprobs = tokens;
    else for (const t of tokens) choice.logprobs.push(t);
  }

  /** The reasoning as the provider's parts (with their signatures), once the stream is whole. */
  reasoningParts(index: number, parts: ReasoningPart[]): void {
    this.at(index).parts = parts;
  }

  finish(index: number, reason: FinishReason): void {
    this.at(index).finishReason = reason;
  }

  /** The finish reason of choice 0 (what a format without choices sets). */
  set finishReason(reason: FinishReason) {
    this.at(0).finishReason = reason;
  }

  /** The whole answer; choice 0 is the completion's own text, and `choices` has them all. */
  build(usage: Usage, model: string): CachedCompletion {
    if (this.choices.length === 0) this.at(0);
    const choices = this.choices.map(choiceOf);
    const completion: CachedCompletion = { ...choices[0]!, usage, model };
    if (choices.length > 1) completion.choices = choices;
    return completion;
  }
}

function choiceOf(b: Building | undefined): CachedChoice {
  if (b === undefined) return { text: '', finishReason: 'stop' };
  const choice: CachedChoice = { text: b.text, finishReason: b.finishReason };
  // Sparse indexes (a call whose first fragment never came) leave no hole in the list.
  const calls = b.calls.filter((c) => c !== undefined);
  if (calls.length > 0) choice.toolCalls = calls;
  if (b.reasoning !== '') choice.reasoning = b.reasoning;
  if (b.parts !== undefined) choice.reasoningParts = b.parts;
  if (b.logprobs !== undefined) choice.logprobs = b.logprobs;
  return choice;
}
