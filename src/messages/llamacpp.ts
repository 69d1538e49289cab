/**
 * User-facing error messages of adapters/llamacpp, moved here from their call sites so they stay
 * consistent and greppable (src/messages.ts; STYLE.md habit 11). Each names what was expected.
 */
export const llamacppMessages = {
  // adapters/llamacpp/engine-api.ts
  nodeLlamaCppMissing: (INSTALL_HINT: string): string => `node-llama-cpp is not installed; run: ${INSTALL_HINT}`,
  modelFileNotFound: (): string => `model file not found`,
  // adapters/llamacpp/serve.ts (integerBelowMin also profile.ts)
  unknownTestModel: (testModel: string, value: string): string => `unknown --test-model "${testModel}"; expected one of: ${value}`,
  needModelOrTestModel: (): string => `give --model FILE.gguf or --test-model ID`,
  profileOutNeedsTestModel: (): string => `--profile-out needs --test-model ID (the profile CSV names the model's shape)`,
  integerBelowMin: (flag: string, min: number, v: string): string => `${flag} must be an integer >= ${min}, got "${v}"`,
};
