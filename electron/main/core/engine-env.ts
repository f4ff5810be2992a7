/**
 * The environment of the engine process and of node-llama-cpp's binary-test processes.
 *
 * Both parse untrusted files (GGUF models) in native code, so they get nothing they do not need:
 * the Hugging Face token stays in main, which alone talks to the Hub. A compromised engine then
 * cannot read it from its own environment.
 */

/**
 * Variables holding a Hugging Face token: HF_TOKEN and its older name HUGGING_FACE_HUB_TOKEN
 * (huggingface_hub reads both).
 */
const SECRET_VARIABLES = new Set(['HF_TOKEN', 'HUGGING_FACE_HUB_TOKEN']);

/**
 * A copy of `env` without the Hugging Face token variables, plus `extra`. Names are compared
 * without case, since Windows treats `hf_token` and `HF_TOKEN` as one variable.
 */
export function engineEnvironment(env: NodeJS.ProcessEnv, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (!SECRET_VARIABLES.has(name.toUpperCase())) out[name] = value;
  }
  return { ...out, ...extra };
}
