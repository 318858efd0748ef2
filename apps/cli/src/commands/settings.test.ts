import { describe, expect, it } from 'vitest';
import { parseArgs } from '../args.ts';
import { SETTING_OPTIONS, parseConstraints, settingsFromFlags } from './settings.ts';
import { update, updateRequest } from './update.ts';

const settings = (...argv: string[]) => settingsFromFlags(parseArgs(argv, SETTING_OPTIONS, 'alto publish').flags);
const patch = (...argv: string[]) => updateRequest(parseArgs(argv, update.options, 'alto update').flags);

describe('publish and update request bodies', () => {
  it('turns every flag into its request field', () => {
    expect(
      settings(
        '--replicas',
        '0',
        '--version',
        '3',
        '--max-batch-size',
        '8',
        '--max-queue-delay-ms',
        '0',
        '--max-queue-length',
        '100',
        '--timeout-ms',
        '2500',
        '--memory',
        '1.5GiB',
        '--constraint',
        'accelerator=gpu',
        '--constraint',
        'zone=eu-1',
        '--execution-provider',
        'cuda',
      ),
    ).toEqual({
      replicas: 0,
      version: '3',
      max_batch_size: 8,
      max_queue_delay_ms: 0,
      max_queue_length: 100,
      timeout_ms: 2500,
      memory_bytes: 1610612736,
      constraints: { accelerator: 'gpu', zone: 'eu-1' },
      execution_provider: 'cuda',
    });
  });

  it('--accelerator and --runtime set their constraints, checked against the kinds and executors there are', () => {
    expect(settings('--accelerator', 'tpu', '--runtime', 'xla', '--constraint', 'zone=b')).toEqual({
      constraints: { zone: 'b', accelerator: 'tpu', runtime: 'xla' },
    });
    expect(settings('--accelerator', 'gpu', '--constraint', 'accelerator=gpu')).toEqual({
      constraints: { accelerator: 'gpu' },
    });
    expect(() => settings('--accelerator', 'fpga')).toThrow("--accelerator: expected one of cpu, gpu, tpu, got 'fpga'");
    expect(() => settings('--runtime', 'tf')).toThrow("--runtime: expected one of onnx, xla, got 'tf'");
    expect(() => settings('--runtime', 'xla', '--constraint', 'runtime=onnx')).toThrow(
      '--runtime xla contradicts --constraint runtime=onnx',
    );
  });

  it('sends nothing that was not given', () => {
    expect(settings()).toEqual({});
  });

  it('refuses out-of-range numbers naming the flag', () => {
    expect(() => settings('--max-batch-size', '0')).toThrow("--max-batch-size: expected a whole number >= 1, got '0'");
    expect(() => settings('--timeout-ms', '1e3')).toThrow("--timeout-ms: expected a whole number >= 1, got '1e3'");
    expect(() => settings('--memory', 'lots')).toThrow(/^--memory: expected bytes .* got 'lots'$/);
    expect(() => settings('--version', ' ')).toThrow("--version: expected a value, got ''");
  });

  it('reads constraints as KEY=VALUE, splitting at the first =', () => {
    expect(parseConstraints(['a=b=c'])).toEqual({ a: 'b=c' });
    expect(parseConstraints(['__proto__=x'])).toEqual(JSON.parse('{"__proto__": "x"}'));
    expect(() => parseConstraints(['gpu'])).toThrow(
      "--constraint: expected KEY=VALUE such as accelerator=gpu, got 'gpu'",
    );
    expect(() => parseConstraints(['a='])).toThrow(
      "--constraint: expected KEY=VALUE such as accelerator=gpu, got 'a='",
    );
    expect(() => parseConstraints(['a=1', 'a=2'])).toThrow("--constraint: key 'a' given twice ('1' and '2')");
  });

  it('update --latest sends "version": null, and refuses it together with --version', () => {
    expect(patch('--latest')).toEqual({ version: null });
    expect(JSON.stringify(patch('--latest', '--replicas', '2'))).toBe('{"replicas":2,"version":null}');
    expect(() => patch('--latest', '--version', '2')).toThrow('give --version or --latest, not both');
  });

  it('update with no field is a usage error listing what can be changed', () => {
    expect(() => patch()).toThrow(/^nothing to update: give at least one of --replicas, --version, .*--latest$/);
  });
});
