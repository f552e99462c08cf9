// The `halfstep` command line: one file per subcommand in ./commands, each exporting `register(program)`.
import { Command, CommanderError } from 'commander';
import pkg from '../../package.json';
import { CliError } from './cliError';

// A static JSON import: tsx reads it here, and esbuild inlines it into the GPU machine's bundle.
const VERSION = pkg.version;
const program = new Command('halfstep')
  .description('Progressive distillation of diffusion models (Salimans & Ho, ICLR 2022): train, distill, sample, evaluate')
  .version(VERSION, '--version', 'print the version')
  .showHelpAfterError('(run with --help for the options)')
  .configureHelp({
    // eval and sample take stray words only to say that a checkpoint goes with --ckpt: not an argument to list.
    subcommandTerm: (cmd) => [
      cmd.name(),
      cmd.options.length ? '[options]' : '',
      ...cmd.registeredArguments.filter((a) => a.name() !== 'extra').map((a) => (a.required ? `<${a.name()}>` : `[${a.name()}]`)),
    ].filter(Boolean).join(' '),
  })
  .exitOverride();

// Each subcommand is one module exporting `register(program)`. Only the one named on the command line is
// loaded (tfjs and its backends take seconds to import); plain `halfstep --help` loads them all.
type CommandModule = { register(program: Command): void };
const commands: Record<string, () => Promise<CommandModule>> = {
  bench: () => import('./commands/bench'),
  distill: () => import('./commands/distill'),
  eval: () => import('./commands/eval'),
  grid: () => import('./commands/grid'),
  inspect: () => import('./commands/inspect'),
  'mnist-ref': () => import('./commands/mnistRef'),
  sample: () => import('./commands/sample'),
  train: () => import('./commands/train'),
  'train-classifier': () => import('./commands/trainClassifier'),
};
const named = process.argv[2];
const wanted = named && named in commands ? [commands[named]] : Object.values(commands);
for (const load of wanted) (await load()).register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  // Commander has printed its message; help and --version exit 0, a usage error is wrong input: 2.
  if (e instanceof CommanderError) process.exit(e.exitCode === 0 ? 0 : 2);
  const code = e instanceof CliError ? e.exitCode : 1;
  const message = e instanceof Error ? e.message : String(e);
  // One line, never a stack trace: file problems are the user's to fix, not ours to debug.
  process.stderr.write(`error: ${message.split('\n')[0]}\n`);
  if (process.env.HALFSTEP_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(code);
}
