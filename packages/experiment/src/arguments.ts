import { parseArgs } from 'node:util';
import { closestName, unknownOption } from './suggest.js';

/** `--check`: off unless given; `--check=true` (as Nx forwards a switch) and `--check=false` also parse. */
interface SwitchOption {
  readonly type: 'boolean';
  /** One line for `--help`. */
  readonly description: string;
}

/** A value read from the command line once: what the command uses, or the one line saying what is wrong. */
export type Decoded<T> = { readonly value: T } | { readonly problem: string };

/** `--runs-dir=DIR` or `--runs-dir DIR`. */
interface ValueOption {
  readonly type: 'string';
  /** How help names the value: `N` in `--parallel=N`. */
  readonly value: string;
  /** One line for `--help`, which adds the default. */
  readonly description: string;
  /**
   * The value when the option is absent. A string is used as given (decoded like a given one, and
   * shown); `{ shown }` only describes a default decided later, such as the definition's own seeds.
   */
  readonly default: string | { readonly shown: string };
  /**
   * Reads a given value once into what the command uses, or the problem with it as one line naming
   * the option, the value and what was expected. Absent: the text as given.
   */
  readonly decode?: (text: string, flag: string) => Decoded<unknown>;
}

type OptionSpec = SwitchOption | ValueOption;
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** A command's options and what `losslab <name> --help` says about it: help is rendered from this, never written apart. */
export interface CommandSpec<Options extends OptionTable = OptionTable> {
  readonly name: string;
  /** What follows `usage: losslab <name>`: the operand and required options. */
  readonly synopsis: string;
  /** One line for the list of commands. */
  readonly summary: string;
  /** A few lines under the usage line. */
  readonly about: string;
  /** The name of the one operand the command takes (`definition`), absent when it takes only options. */
  readonly operand?: string;
  readonly options: Options;
}

/** What an option's `decode` reads its text into (the text itself without one). */
type DecodedOf<Spec> = Spec extends { readonly decode: (text: string, flag: string) => Decoded<infer T> } ? T : string;

type ValueOf<Spec extends OptionSpec> = Spec extends SwitchOption
  ? boolean
  : Spec extends { readonly default: string }
    ? DecodedOf<Spec>
    : DecodedOf<Spec> | undefined;

/** The given options in order, each with its decoded value. */
type GivenOption<Options extends OptionTable> = {
  readonly [Name in keyof Options & string]: { readonly name: Name; readonly value: ValueOf<Options[Name]> & {} };
}[keyof Options & string];

/** Each option's value: the last one given, else its default (`false` for a switch). */
type OptionValues<Options extends OptionTable> = { readonly [Name in keyof Options]: ValueOf<Options[Name]> };

/** What {@link parseCommand} read, with every problem found (none when `problems` is empty). */
export interface ParsedArguments<Options extends OptionTable> {
  readonly values: OptionValues<Options>;
  /** The options given, in order, for options whose order matters (overrides, aliases where the last wins). */
  readonly given: readonly GivenOption<Options>[];
  /**
   * The options given, valid or not, a misspelt one counted as the option closest to it: a required
   * option given wrong is not also reported missing.
   */
  readonly mentioned: ReadonlySet<string>;
  /** At most one: a second is a problem. */
  readonly operand: string | undefined;
  readonly problems: readonly string[];
  /** `--help` or `-h` was given: print the help, whatever else is wrong. */
  readonly help: boolean;
}

/** The name `--help` shows for an option: `--parallel=N`, `--check`. */
const optionForm = (name: string, spec: OptionSpec): string =>
  spec.type === 'boolean'
    ? `--${name}`
    : // `--set=path=value` would read as two assignments.
      `--${name}${spec.value.includes('=') ? ' ' : '='}${spec.value}`;

/** The default `--help` shows for an option. */
const defaultText = (spec: OptionSpec): string =>
  spec.type === 'boolean' ? 'off' : typeof spec.default === 'string' ? spec.default : spec.default.shown;

/** A given value read by its option's decoder (the text as given without one). */
const decodeOption = (spec: ValueOption, text: string, flag: string): Decoded<unknown> =>
  spec.decode?.(text, flag) ?? { value: text };

/** An option's value when it is absent: off for a switch, a written default decoded like a given value. */
function defaultValue(spec: OptionSpec, flag: string): unknown {
  if (spec.type === 'boolean') return false;
  if (typeof spec.default !== 'string') return undefined;
  const decoded = decodeOption(spec, spec.default, flag);
  if ('value' in decoded) return decoded.value;
  throw new Error(`${flag}: its default "${spec.default}" is invalid: ${decoded.problem}`);
}

/** A value that is a dash word (`--check` after `--runs-dir`) is an option given by mistake, not a value; `-2` is a value. */
const looksLikeOption = (value: string): boolean => /^-[^\d.]/.test(value);

/**
 * Parses `argv` (the words after the command name) against the command's option table with
 * `node:util` `parseArgs`. Not strict, so that every problem is collected as one line in losslab's
 * words: an unknown option with the closest known one, a missing or wrong value naming the option
 * and the value, an unexpected operand. `--help`/`-h` is known to every command.
 *
 * @example
 * parseCommand(WORKER, ['--queue=redis://h', '--concurency=2']).problems
 * // ['--concurency: unknown option; did you mean --concurrency? (known: --queue, …)']
 */
export function parseCommand<Options extends OptionTable>(
  command: CommandSpec<Options>,
  argv: readonly string[],
): ParsedArguments<Options> {
  const table: OptionTable = command.options;
  const config = Object.fromEntries(Object.entries(table).map(([name, spec]) => [name, { type: spec.type }]));
  const { tokens } = parseArgs({
    args: [...argv],
    options: { ...config, help: { type: 'boolean', short: 'h' } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const known = [...Object.keys(table), 'help'];
  const problems: string[] = [];
  const given: { name: string; value: unknown }[] = [];
  let operand: string | undefined;
  const mentioned = new Set<string>();
  let help = false;
  /** A misspelt option counts as mentioning the option it is closest to. */
  const unknown = (name: string, written: string): void => {
    problems.push(unknownOption(name, known, written));
    const closest = closestName(name, known);
    if (closest !== undefined) mentioned.add(closest);
  };
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index]!;
    if (token.kind === 'option-terminator') continue;
    if (token.kind === 'positional') {
      if (command.operand === undefined)
        problems.push(`${token.value}: unexpected argument (losslab ${command.name} takes only options)`);
      else if (operand !== undefined)
        problems.push(`${token.value}: unexpected argument (the ${command.operand} is already ${operand})`);
      else operand = token.value;
      continue;
    }
    const word = argv[token.index] ?? '';
    if (/^-[^-]/.test(word) && word !== '-h') {
      // parseArgs splits `-epochs=3` into -e -p -o …, one of them -h: it is one mistyped option.
      const name = word.slice(1).split('=')[0] ?? '';
      unknown(name, `-${name}`);
      while (tokens[index + 1]?.index === token.index) index++;
      continue;
    }
    if (token.name === 'help') {
      help = true;
      continue;
    }
    mentioned.add(token.name);
    const flag = `--${token.name}`;
    const spec = table[token.name];
    if (spec === undefined) {
      unknown(token.name, flag);
      // `--epoch 1`: the word after an unknown option is its value, so one typo is one problem.
      if (token.value === undefined && tokens[index + 1]?.kind === 'positional') index++;
      continue;
    }
    if (spec.type === 'boolean') {
      if (token.value === undefined || token.value === 'true') given.push({ name: token.name, value: true });
      else if (token.value === 'false') given.push({ name: token.name, value: false });
      else problems.push(`${flag}: takes no value (or =true, =false), got "${token.value}"`);
      continue;
    }
    const value = token.value;
    if (value === undefined || value === '') {
      problems.push(`${flag}: expected a value`);
      continue;
    }
    if (!token.inlineValue && looksLikeOption(value)) {
      problems.push(
        `${flag}: expected a value, got the option ${value} (a value that starts with "-": ${flag}=${value})`,
      );
      continue;
    }
    const decoded = decodeOption(spec, value, flag);
    if ('value' in decoded) given.push({ name: token.name, value: decoded.value });
    else problems.push(decoded.problem);
  }
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(table)) values[name] = defaultValue(spec, `--${name}`);
  for (const { name, value } of given) values[name] = value;
  // The table's decoders decide each value's type, as OptionValues and GivenOption spell out.
  return {
    values: values as OptionValues<Options>,
    given: given as GivenOption<Options>[],
    mentioned,
    operand,
    problems,
    help,
  };
}

/** Help lines stay within this many columns, as a terminal shows them. */
const HELP_WIDTH = 100;
/** Option forms longer than this put their description on the next line, so one long form does not push every description right. */
const FORM_WIDTH = 24;

/** `text` broken at spaces into lines of at most `width` characters (a longer word stays whole). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  return [...lines, line];
}

/**
 * `losslab <command> --help`: the usage line, what the command does, and every option of its
 * table with its default.
 */
export function renderHelp(command: CommandSpec): string {
  const rows = Object.entries(command.options).map(([name, spec]) => ({
    form: optionForm(name, spec),
    text: spec.description,
    // Never broken across lines, so it can be found as written.
    suffix: ` (default: ${defaultText(spec)})`,
  }));
  rows.push({ form: '-h, --help', text: 'print this help', suffix: '' });
  const column = 2 + Math.min(FORM_WIDTH, Math.max(...rows.map(({ form }) => form.length))) + 2;
  const indent = ' '.repeat(column);
  const options = rows.flatMap(({ form, text, suffix }) => {
    const lines = wrap(text, HELP_WIDTH - column);
    const tail = lines.pop() ?? '';
    if (tail.length + suffix.length <= HELP_WIDTH - column) lines.push(tail + suffix);
    else lines.push(tail, suffix.trimStart());
    const [first = '', ...rest] = lines;
    const head = `  ${form}`;
    return head.length + 2 <= column
      ? [head.padEnd(column) + first, ...rest.map((line) => indent + line)]
      : [head, ...lines.map((line) => indent + line)];
  });
  return [`usage: losslab ${command.name} ${command.synopsis}`, '', command.about, '', 'options:', ...options].join(
    '\n',
  );
}

/**
 * `losslab --help`: a short summary — each command with its usage and one line — so it fits on a
 * screen; `losslab <command> --help` lists every option of one command with its default.
 */
export function renderOverview(commands: readonly CommandSpec[], footer: string): string {
  const width = Math.max(...commands.map((command) => command.name.length)) + 2;
  return [
    'usage: losslab <command> [options]',
    '',
    'commands:',
    ...commands.map((command) => `  ${command.name.padEnd(width)}${command.summary}`),
    '',
    'usage of each:',
    ...commands.map((command) => `  losslab ${command.name} ${command.synopsis}`),
    '',
    'losslab <command> --help   every option of a command, with its default',
    'losslab --version          the version of losslab (@losslab/experiment)',
    '',
    footer,
  ].join('\n');
}
