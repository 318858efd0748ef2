// The files a text model's pipeline reads from its version folder (config.json's
// `pipeline.tokenizer.file`): part of the completeness rule, so a version is listed only once
// its tokenizer is there too, and downloaded with the model file like external data.
import { CheckpointError } from './source/errors.ts';

const DEFAULT_TOKENIZER_FILE = 'tokenizer.json';

/**
 * File names the merged config (model level, then version level over it) declares, read
 * leniently: config.json is validated when the version is loaded, which names its problems.
 */
export function pipelineFiles(
  uri: string,
  modelConfig: string | undefined,
  versionConfig: string | undefined,
): string[] {
  const read = (text: string | undefined): Record<string, unknown> => {
    if (text === undefined) return {};
    try {
      const v = JSON.parse(text) as unknown;
      return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  const own = read(versionConfig);
  const pipeline = ('pipeline' in own ? own.pipeline : read(modelConfig).pipeline) as
    { tokenizer?: { file?: unknown } } | undefined;
  const tokenizer = pipeline?.tokenizer;
  if (typeof tokenizer !== 'object' || tokenizer === null) return [];
  const file = tokenizer.file ?? DEFAULT_TOKENIZER_FILE;
  if (typeof file !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(file)) {
    throw new CheckpointError(
      'invalid_uri',
      `${uri}: pipeline.tokenizer.file ${JSON.stringify(file)} is not a plain file name in the version folder`,
    );
  }
  return [file];
}
