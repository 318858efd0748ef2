// Opens a text model's pipeline (config.json `pipeline`) around its loaded network: reads
// the tokenizer file from the version folder, beside the model file.
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ResolvedModel } from '@alto/repository';
import { PipelineExecutor, loadTokenizer, type Executor } from '@alto/runtime';

export async function openPipeline(resolved: ResolvedModel, network: Executor): Promise<PipelineExecutor> {
  const pipeline = resolved.config.pipeline!;
  const where = `model '${resolved.name}' version '${resolved.version}'`;
  const file = join(dirname(resolved.path), pipeline.tokenizer.file);
  const json = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new Error(
      `${where}: config.json's pipeline.tokenizer names '${pipeline.tokenizer.file}', which the version folder ` +
        `does not hold (${err.code ?? err.message})`,
    );
  });
  const tokenizer = loadTokenizer(json, pipeline.tokenizer.max_length, `${where}: ${file}`);
  return PipelineExecutor.create({ network, pipeline, tokenizer, where });
}
