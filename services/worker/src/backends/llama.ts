import { open, stat } from "node:fs/promises";
import type { Llama, LlamaContext, LlamaContextSequence, LlamaModel, Token } from "node-llama-cpp";
import { StepBoundaries } from "@ttc/policy";
import { EngineError, type Backend, type GenerationEvent, type GenerationRequest } from "../backend.js";

/** Where the backend reports loading and llama.cpp's warnings (a pino logger fits). */
export interface LlamaBackendLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export type LlamaPromptTemplate = "raw" | "chat" | "auto";

export interface LlamaBackendOptions {
  /** The GGUF file to load. */
  modelPath: string;
  /** Parallel sequences of the one context: branches generated at once (the worker's capacity). @default {@link llamaDefaults}.sequences */
  sequences?: number;
  /**
   * Tokens each sequence holds, prompt and generation together; a branch that reaches it ends with
   * `length`. @default {@link llamaDefaults}.contextSize, or the model's training context when that is smaller
   */
  contextSize?: number;
  /** CPU threads for evaluation; 0 lets llama.cpp use every core. @default {@link llamaDefaults}.threads */
  threads?: number;
  /** `false` for the CPU, `"auto"` to use a GPU when a prebuilt binary for it works. @default {@link llamaDefaults}.gpu */
  gpu?: false | "auto" | "cuda" | "vulkan" | "metal";
  /** @default {@link llamaDefaults}.temperature */
  temperature?: number;
  /** 0 turns it off. @default {@link llamaDefaults}.topK (llama.cpp's default) */
  topK?: number;
  /** @default {@link llamaDefaults}.topP (llama.cpp's default) */
  topP?: number;
  /** @default {@link llamaDefaults}.minP (llama.cpp's default) */
  minP?: number;
  /**
   * Top-k logprobs per token, for the DeepConf confidence; 0 reports only the sampled token's logprob.
   * They come from the distribution the token was sampled from (after temperature, top-k, top-p and
   * min-p), which is what node-llama-cpp exposes; at temperature 0 that is the whole vocabulary.
   * @default {@link llamaDefaults}.topLogprobs
   */
  topLogprobs?: number;
  /**
   * `raw`: system prompt, a blank line and the prompt, as text. `chat`: through the model's chat
   * template. `auto`: `chat` when the GGUF carries a template (`tokenizer.chat_template`), else `raw`.
   * @default {@link llamaDefaults}.template
   */
  template?: LlamaPromptTemplate;
  /** Texts that end a generation (not included in the output). */
  stop?: readonly string[];
  log?: LlamaBackendLog;
}

/** The defaults of {@link LlamaBackendOptions}, written only here (the worker's `TTC_LLAMA_*` settings default to them too). */
export const llamaDefaults: Readonly<Required<Omit<LlamaBackendOptions, "modelPath" | "stop" | "log">>> = Object.freeze({
  sequences: 1,
  contextSize: 4096,
  threads: 0,
  gpu: false,
  temperature: 0.7,
  topK: 40,
  topP: 0.95,
  minP: 0.05,
  topLogprobs: 5,
  template: "auto",
});

/** The library, loaded on first use: it is an optional dependency, and a worker without it still runs `sim`. */
type NodeLlamaCpp = typeof import("node-llama-cpp");

async function loadLibrary(): Promise<NodeLlamaCpp> {
  try {
    return await import("node-llama-cpp");
  } catch (err) {
    throw deploymentError(
      `the llama backend needs the optional dependency node-llama-cpp (npm install node-llama-cpp@3.21.1 in services/worker): ${errorMessage(err)}`,
      err,
    );
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The worker's set-up is wrong (a missing or broken model file, no usable llama.cpp): no request can succeed. */
function deploymentError(message: string, cause?: unknown): EngineError {
  return new EngineError(message, { code: "FAILED_PRECONDITION", cause });
}

/** This request cannot be served (an empty prompt, a prompt over the context): the caller's to fix. */
function requestError(message: string): EngineError {
  return new EngineError(message, { code: "INVALID_ARGUMENT" });
}

/** Throws a clear error unless `path` is a readable file that starts with the GGUF magic. */
export async function checkGgufFile(path: string): Promise<void> {
  const file = await stat(path).catch((err: unknown) => {
    throw (err as NodeJS.ErrnoException).code === "ENOENT"
      ? deploymentError(`llama model ${path} does not exist (set TTC_LLAMA_MODEL to a GGUF file)`, err)
      : deploymentError(`llama model ${path} cannot be read: ${errorMessage(err)}`, err);
  });
  if (!file.isFile()) throw deploymentError(`llama model ${path} is not a file`);
  const size = file.size;
  const head = Buffer.alloc(8);
  const handle = await open(path, "r");
  try {
    await handle.read(head, 0, 8, 0);
  } finally {
    await handle.close();
  }
  if (size < 24 || head.toString("latin1", 0, 4) !== "GGUF") {
    throw deploymentError(
      `llama model ${path} is not a GGUF file (it starts with ${JSON.stringify(head.toString("latin1", 0, Math.min(4, size)))}, not "GGUF")`,
    );
  }
  const version = head.readUInt32LE(4);
  if (version < 2 || version > 3) throw deploymentError(`llama model ${path} is GGUF version ${version}; llama.cpp reads versions 2 and 3`);
}

/** Why a GGUF file that llama.cpp refused is broken, when its header tells: unreadable metadata, or tensor data past the end. */
async function diagnoseGguf(lib: NodeLlamaCpp, path: string): Promise<string | null> {
  try {
    const info = await lib.readGgufFileInfo(path, { sourceType: "filesystem", logWarnings: false });
    if (info.splicedParts > 1) return null; // a split model: its tensors live in several files
    const size = (await stat(path)).size;
    const tensors = info.fullTensorInfo ?? info.tensorInfo ?? [];
    if (tensors.length === 0) return "the file lists no tensors";
    const dataStart = Math.min(...tensors.map((t) => Number(t.fileOffset)));
    const insights = await lib.GgufInsights.from(info);
    const needed = dataStart + insights.modelSize;
    if (size < needed) return `the file has ${size} bytes but its tensors need about ${needed}: truncated?`;
    return null;
  } catch (err) {
    return `its header cannot be read: ${errorMessage(err)}`;
  }
}

/** A waiting `generate` call, woken with a free sequence. */
interface Waiter {
  resolve(sequence: LlamaContextSequence): void;
}

/** Holds back the end of the text that could be the start of a stop string. */
export class StopMatcher {
  private held = "";

  constructor(private readonly stops: readonly string[]) {}

  /** The text that is safe to emit, and whether a stop string ended the generation. */
  feed(text: string): { text: string; stopped: boolean } {
    if (this.stops.length === 0) return { text, stopped: false };
    const all = this.held + text;
    let cut = -1;
    for (const s of this.stops) {
      const i = all.indexOf(s);
      if (i >= 0 && (cut < 0 || i < cut)) cut = i;
    }
    if (cut >= 0) {
      this.held = "";
      return { text: all.slice(0, cut), stopped: true };
    }
    let keep = 0;
    for (const s of this.stops) {
      for (let n = Math.min(s.length - 1, all.length); n > keep; n--) {
        if (all.endsWith(s.slice(0, n))) {
          keep = n;
          break;
        }
      }
    }
    this.held = all.slice(all.length - keep);
    return { text: all.slice(0, all.length - keep), stopped: false };
  }

  /** What is still held back, at the end of the generation. */
  flush(): string {
    const rest = this.held;
    this.held = "";
    return rest;
  }
}

/** Tokens of context passed to the detokenizer, so SentencePiece spaces and multi-token characters come out right. */
const detokenizeContext = 16;
/** Longest UTF-8 character: a token run whose text ends in U+FFFD is held back at most this long, waiting for its other bytes. */
const maxHeldTokens = 4;
const minLogprob = -100;

/**
 * Runs a GGUF model in process with llama.cpp (node-llama-cpp's prebuilt binaries, CPU by default):
 * one model, one context with a sequence per parallel branch, so concurrent branches decode in the
 * same batches. A branch reuses the longest prompt prefix its sequence still holds (sibling branches
 * of a query share the prompt), samples with its own seed, reports the sampled token's logprob and the
 * top-k, and stops between two tokens when its signal aborts.
 */
export class LlamaBackend implements Backend {
  readonly name = "llama";
  readonly synthetic = false;
  private llama: Llama | null = null;
  private model: LlamaModel | null = null;
  private context: LlamaContext | null = null;
  private lib: NodeLlamaCpp | null = null;
  private readonly free: LlamaContextSequence[] = [];
  private readonly waiters: Waiter[] = [];
  private starting: Promise<void> | null = null;
  private loaded = false;
  private closed = false;
  private chat = false;
  /** llama.cpp's last warnings and errors, for a load failure's message. */
  private readonly recentErrors: string[] = [];
  private readonly sequences: number;
  private readonly topLogprobs: number;
  private readonly sampling: { temperature: number; topK: number; topP: number; minP: number };

  constructor(private readonly options: LlamaBackendOptions) {
    this.sequences = options.sequences ?? llamaDefaults.sequences;
    if (!Number.isInteger(this.sequences) || this.sequences < 1)
      throw new RangeError(`sequences must be a positive integer, not ${this.sequences}`);
    this.topLogprobs = options.topLogprobs ?? llamaDefaults.topLogprobs;
    this.sampling = {
      temperature: options.temperature ?? llamaDefaults.temperature,
      topK: options.topK ?? llamaDefaults.topK,
      topP: options.topP ?? llamaDefaults.topP,
      minP: options.minP ?? llamaDefaults.minP,
    };
  }

  /** Loads the library, the model and the context. Throws a clear error on a missing or unreadable file. */
  start(): Promise<void> {
    this.starting ??= this.load();
    return this.starting;
  }

  /** Loads and returns a started backend. */
  static async load(options: LlamaBackendOptions): Promise<LlamaBackend> {
    const backend = new LlamaBackend(options);
    try {
      await backend.start();
    } catch (err) {
      await backend.close();
      throw err;
    }
    return backend;
  }

  private async load(): Promise<void> {
    const { modelPath, log } = this.options;
    const started = performance.now();
    await checkGgufFile(modelPath);
    const lib = await loadLibrary();
    this.recentErrors.length = 0;
    this.lib = lib;
    const threads = this.options.threads ?? llamaDefaults.threads;
    const gpu = this.options.gpu ?? llamaDefaults.gpu;
    try {
      this.llama = await lib.getLlama({
        gpu,
        // Never download or compile llama.cpp at run time: the prebuilt binaries come with the npm packages.
        build: "never",
        ...(threads > 0 ? { maxThreads: threads } : {}),
        logLevel: lib.LlamaLogLevel.warn,
        logger: (level, message) => {
          const text = message.trim();
          if (!text || !(level === lib.LlamaLogLevel.error || level === lib.LlamaLogLevel.fatal || level === lib.LlamaLogLevel.warn))
            return;
          this.recentErrors.push(text);
          if (this.recentErrors.length > 4) this.recentErrors.shift();
          log?.warn({ level, engine: "llama.cpp" }, text);
        },
      });
    } catch (err) {
      throw deploymentError(
        `llama.cpp could not start (no usable prebuilt binary for ${process.platform}-${process.arch}?): ${errorMessage(err)}`,
        err,
      );
    }
    if (this.closed) return;
    try {
      this.model = await this.llama.loadModel({ modelPath, ...(gpu ? {} : { gpuLayers: 0 }) });
    } catch (err) {
      // node-llama-cpp's error often only says "Failed to load model": say what is wrong with the file when we can tell.
      const why = await diagnoseGguf(lib, modelPath);
      throw deploymentError(`llama model ${modelPath} could not be loaded: ${errorMessage(err)}${why ? ` (${why})` : ""}`, err);
    }
    if (this.closed) return;
    const train = this.model.trainContextSize;
    const contextSize = this.options.contextSize ?? Math.min(llamaDefaults.contextSize, train > 0 ? train : llamaDefaults.contextSize);
    try {
      this.context = await this.model.createContext({
        sequences: this.sequences,
        contextSize,
        ...(threads > 0 ? { threads } : {}),
      });
    } catch (err) {
      throw deploymentError(
        `llama context of ${this.sequences} × ${contextSize} tokens could not be created for ${modelPath}: ${errorMessage(err)}`,
        err,
      );
    }
    for (let i = 0; i < this.sequences; i++) this.free.push(this.context.getSequence());
    const template = this.options.template ?? llamaDefaults.template;
    this.chat = template === "chat" || (template === "auto" && typeof this.model.fileInfo.metadata.tokenizer?.chat_template === "string");
    this.loaded = !this.closed;
    log?.info(
      {
        modelPath,
        sequences: this.sequences,
        contextSize: this.context.contextSize,
        trainContextSize: train,
        threads: this.context.idealThreads,
        gpu: this.llama.gpu,
        template: this.chat ? "chat" : "raw",
        loadSeconds: Math.round(performance.now() - started) / 1000,
      },
      "llama model loaded",
    );
  }

  ready(): boolean {
    return this.loaded && !this.closed;
  }

  /** Tokens each sequence holds (prompt and generation), once loaded. */
  get contextSize(): number {
    return this.context?.contextSize ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.loaded = false;
    await this.starting?.catch(() => undefined);
    await bounded(this.context?.dispose());
    await bounded(this.model?.dispose());
    if (this.model) await bounded(this.llama?.dispose());
    // node-llama-cpp 3.21.1 keeps a model that failed to load holding its Llama open, so that Llama's
    // dispose() never resolves: let it go without waiting (the promise holds no handle, so no leak keeps the process up).
    else void this.llama?.dispose().catch(() => undefined);
    this.context = null;
    this.model = null;
    this.llama = null;
  }

  /** The prompt's tokens and the stop strings the template adds. */
  private promptTokens(request: GenerationRequest, model: LlamaModel, lib: NodeLlamaCpp): { tokens: Token[]; stops: string[] } {
    if (this.chat) {
      const wrapper = lib.resolveChatWrapper(model);
      const history = [
        ...(request.systemPrompt ? [{ type: "system" as const, text: request.systemPrompt }] : []),
        { type: "user" as const, text: request.prompt },
        { type: "model" as const, response: [] },
      ];
      const state = wrapper.generateContextState({ chatHistory: history });
      const stops: string[] = [];
      for (const trigger of state.stopGenerationTriggers) {
        // Special-token triggers (EOS, end of turn) end generation in llama.cpp already; plain text ones are ours.
        const values = trigger.values;
        if (values.length > 0 && values.every((v) => typeof v === "string")) stops.push(values.join(""));
      }
      return { tokens: state.contextText.tokenize(model.tokenizer), stops };
    }
    const text = request.systemPrompt ? `${request.systemPrompt}\n\n${request.prompt}` : request.prompt;
    const tokens = model.tokenize(text);
    const bos = model.tokens.bos;
    if (model.tokens.shouldPrependBosToken && bos !== null && tokens[0] !== bos) tokens.unshift(bos);
    return { tokens, stops: [] };
  }

  private acquire(signal: AbortSignal): Promise<LlamaContextSequence | null> {
    const sequence = this.free.pop();
    if (sequence) return Promise.resolve(sequence);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve: (s) => {
          signal.removeEventListener("abort", onAbort);
          resolve(s);
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(null);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  private release(sequence: LlamaContextSequence): void {
    if (this.closed || sequence.disposed) return;
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(sequence);
    else this.free.push(sequence);
  }

  async *generate(request: GenerationRequest): AsyncIterable<GenerationEvent> {
    await this.start();
    const { model, lib } = this;
    // Closed for good: this backend will not serve again, so a retry here cannot help.
    if (this.closed || !model || !lib) throw new EngineError("the llama backend is closed", { code: "UNAVAILABLE", retryable: false });
    const { signal } = request;
    if (signal.aborted) return;
    const { tokens: prompt, stops } = this.promptTokens(request, model, lib);
    if (prompt.length === 0) throw requestError("the prompt is empty: llama.cpp needs at least one token to generate from");
    const sequence = await this.acquire(signal);
    if (!sequence) return; // aborted while waiting for a free sequence
    // Released only once nothing runs on it any more (see the finally below).
    let pending: Promise<unknown> | null = null;
    let iterator: AsyncGenerator<
      { token: Token; confidence?: number; probabilities?: Map<Token, number> },
      void,
      void | Token | Token[]
    > | null = null;
    let failed = false;
    const stopWaiting = new AbortController();
    const aborted = new Promise<"aborted">((resolve) => {
      if (signal.aborted) resolve("aborted");
      else signal.addEventListener("abort", () => resolve("aborted"), { once: true, signal: stopWaiting.signal });
    });
    try {
      const room = sequence.contextSize - prompt.length;
      // The request's fault, as vLLM's 400 for a prompt over the model's length: never retried, INVALID_ARGUMENT.
      if (room <= 0)
        throw requestError(
          `the prompt has ${prompt.length} tokens: it fills the context of ${sequence.contextSize} tokens per sequence (TTC_LLAMA_CONTEXT)`,
        );
      const budget = request.maxTokens > 0 ? Math.min(request.maxTokens, room) : room;
      // Keep the longest prefix of the prompt the sequence still holds; at least one token is evaluated for the logits.
      const cached = Math.min(sequence.compareContextTokens(prompt).firstDifferentIndex, prompt.length - 1);
      if (cached < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: cached, end: sequence.nextTokenIndex }]);
      yield { type: "prompt", promptTokens: prompt.length, ...(cached > 0 ? { cachedPromptTokens: cached } : {}) };
      if (signal.aborted) return;

      const withTop = this.topLogprobs > 0;
      // The budget keeps prompt and generation inside the sequence, so llama.cpp never shifts the context.
      iterator = sequence.evaluateWithMetadata(
        prompt.slice(cached),
        { confidence: true, probabilities: withTop },
        { ...this.sampling, seed: request.seed >>> 0 },
      );
      const steps = new StepBoundaries();
      const stopper = new StopMatcher([...(this.options.stop ?? []), ...stops]);
      const history: Token[] = prompt.slice(-detokenizeContext);
      let held: Token[] = [];
      let heldLogprobs: number[] = [];
      let heldTop: number[][] = [];
      let generated = 0;
      let finish: "stop" | "length" | null = null;
      let stoppedByText = false;

      /** The held tokens as one event with `text` (what the stop strings let through). */
      const emit = (text: string): GenerationEvent | null => {
        if (held.length === 0 && text === "") return null;
        const out: GenerationEvent = {
          type: "tokens",
          text,
          tokens: held.length,
          stepEnd: text !== "" && steps.feed(text),
          logprobs: heldLogprobs,
          ...(withTop ? { topLogprobs: heldTop } : {}),
        };
        history.push(...held);
        if (history.length > detokenizeContext) history.splice(0, history.length - detokenizeContext);
        held = [];
        heldLogprobs = [];
        heldTop = [];
        return out;
      };

      while (finish === null) {
        if (generated >= budget) {
          finish = "length";
          break;
        }
        const next = iterator.next();
        pending = next;
        const result = await Promise.race([next, aborted]);
        if (result === "aborted") return; // the finally lets the token in flight finish, off the caller's path
        pending = null;
        if (result.done) {
          finish = "stop"; // an end-of-generation token
          break;
        }
        const { token, confidence, probabilities } = result.value;
        generated++;
        held.push(token);
        heldLogprobs.push(logprob(confidence ?? probabilities?.get(token)));
        if (withTop) heldTop.push(topOf(probabilities, this.topLogprobs));
        const decoded = model.detokenize(held, false, history);
        // An incomplete UTF-8 character waits for its other bytes (at most 4 tokens).
        if (decoded.endsWith("\uFFFD") && held.length < maxHeldTokens && generated < budget) continue;
        const { text, stopped } = stopper.feed(decoded);
        if (stopped) {
          finish = "stop";
          stoppedByText = true;
        }
        const event = emit(text);
        if (event) yield event;
        if (signal.aborted) return;
      }
      if (!stoppedByText) {
        // Tokens still held for an incomplete character, and text held for a stop string that never came.
        const fed = stopper.feed(held.length > 0 ? model.detokenize(held, false, history) : "");
        if (fed.stopped) finish = "stop";
        const last = emit(fed.text + (fed.stopped ? "" : stopper.flush()));
        if (last) yield last;
        if (signal.aborted) return;
      }
      yield { type: "end", finishReason: finish, promptTokens: prompt.length, ...(cached > 0 ? { cachedPromptTokens: cached } : {}) };
    } catch (err) {
      failed = true;
      throw err instanceof EngineError
        ? err
        : new EngineError(`llama.cpp failed: ${errorMessage(err)}`, { code: "UNAVAILABLE", cause: err });
    } finally {
      stopWaiting.abort();
      const it = iterator;
      const inFlight = pending;
      const done = async () => {
        if (inFlight) await inFlight.catch(() => undefined);
        if (it) await it.return(undefined).catch(() => undefined);
        // After a failure the sequence's state is unknown: the next branch on it starts from scratch.
        if (failed && !sequence.disposed) await sequence.clearHistory().catch(() => undefined);
      };
      if (inFlight) {
        // Aborted mid-token: the caller goes on at once; the sequence comes back once llama.cpp has finished that token.
        void done().then(() => this.release(sequence));
      } else {
        await done();
        this.release(sequence);
      }
    }
  }
}

/** Waits for a disposal, but not forever: a worker shutting down must not hang on the engine. */
async function bounded(disposal: Promise<void> | undefined, ms = 10_000): Promise<void> {
  if (!disposal) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    disposal.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}

function logprob(p: number | undefined): number {
  if (p === undefined || !(p > 0)) return minLogprob;
  return Math.max(minLogprob, Math.log(p));
}

/** The k largest logprobs of a probability map node-llama-cpp sorted from the most likely down. */
function topOf(probabilities: Map<Token, number> | undefined, k: number): number[] {
  const out: number[] = [];
  if (!probabilities) return out;
  for (const p of probabilities.values()) {
    if (out.length >= k) break;
    out.push(logprob(p));
  }
  return out;
}
