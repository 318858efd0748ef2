import { describe, expect, it } from 'vitest';
import { parseArgs, type OptionSpecs } from './args.ts';
import { CliError } from './exit.ts';

const specs: OptionSpecs = {
  replicas: { kind: 'string', value: 'N', help: '' },
  constraint: { kind: 'string', multiple: true, help: '' },
  latest: { kind: 'boolean', help: '' },
  wait: { kind: 'optional', help: '' },
  help: { kind: 'boolean', help: '' },
};
const parse = (...argv: string[]) => parseArgs(argv, specs, 'alto test');

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CliError);
    expect((err as CliError).exitCode).toBe(2);
    return (err as CliError).message;
  }
  throw new Error('expected a usage error');
}

describe('parseArgs', () => {
  it('reads --name value, --name=value, booleans and positionals in any order', () => {
    const { positionals, flags } = parse('a', '--replicas', '3', 'b', '--latest');
    expect(positionals).toEqual(['a', 'b']);
    expect(flags.int('replicas', 0)).toBe(3);
    expect(flags.bool('latest')).toBe(true);
    expect(parse('--replicas=4').flags.string('replicas')).toBe('4');
  });

  it('collects a repeatable flag in order', () => {
    expect(parse('--constraint', 'a=1', '--constraint=b=2').flags.list('constraint')).toEqual(['a=1', 'b=2']);
  });

  it('takes an optional value only after =, so the next token stays a positional', () => {
    expect(parse('--wait').flags.optional('wait')).toBe(true);
    expect(parse('--wait=10').flags.optional('wait')).toBe('10');
    const p = parse('--wait', 'model');
    expect(p.flags.optional('wait')).toBe(true);
    expect(p.positionals).toEqual(['model']);
  });

  it('treats everything after -- as positionals, and a lone - as one', () => {
    expect(parse('--', '--latest', '-x').positionals).toEqual(['--latest', '-x']);
    expect(parse('a', '-', '--latest').positionals).toEqual(['a', '-']);
  });

  it('reads -h as --help', () => {
    expect(parse('-h').flags.bool('help')).toBe(true);
  });

  it('refuses an unknown flag, naming it and the closest known one', () => {
    expect(usage(() => parse('--replica', '2'))).toBe(
      "unknown flag --replica for 'alto test' (did you mean --replicas?)",
    );
    expect(usage(() => parse('--zzzzzzzzzz'))).toBe("unknown flag --zzzzzzzzzz for 'alto test'");
    expect(usage(() => parse('-r'))).toMatch(/^unknown flag -r for 'alto test'/);
    expect(usage(() => parse('-rx'))).toMatch(/^unknown flag -rx for 'alto test'/);
    expect(usage(() => parse('--replicas=2', '--colour'))).toMatch(/^unknown flag --colour for 'alto test'/);
  });

  it('refuses a missing value, naming the flag', () => {
    expect(usage(() => parse('--replicas'))).toBe('flag --replicas needs a value (--replicas N)');
    expect(usage(() => parse('--replicas', '--latest'))).toBe('flag --replicas needs a value (--replicas N)');
  });

  it('refuses a value on a boolean and a repeated single flag', () => {
    expect(usage(() => parse('--latest=yes'))).toBe("flag --latest takes no value, got 'yes'");
    expect(usage(() => parse('--replicas', '1', '--replicas', '2'))).toBe('flag --replicas given more than once');
  });

  it('checks whole numbers against their minimum, naming the flag and the value', () => {
    expect(usage(() => parse('--replicas', 'two').flags.int('replicas', 0))).toBe(
      "--replicas: expected a whole number >= 0, got 'two'",
    );
    expect(usage(() => parse('--replicas', '-1').flags.int('replicas', 0))).toBe(
      "--replicas: expected a whole number >= 0, got '-1'",
    );
    expect(usage(() => parse('--replicas', '1.5').flags.int('replicas', 0))).toBe(
      "--replicas: expected a whole number >= 0, got '1.5'",
    );
    expect(usage(() => parse('--replicas', '0').flags.int('replicas', 1))).toBe(
      "--replicas: expected a whole number >= 1, got '0'",
    );
    expect(parse().flags.int('replicas', 0)).toBeUndefined();
  });
});
