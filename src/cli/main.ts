// The `halfstep` command line: one file per subcommand in ./commands, each exporting `register(program)`.
import { Command, CommanderError } from 'commander';
import { CliError } from './cliError';
import * as distill from './commands/distill';
import * as evaluate from './commands/eval';
import * as inspect from './commands/inspect';
import * as mnistRef from './commands/mnistRef';
import * as sample from './commands/sample';
import * as train from './commands/train';
import * as trainClassifier from './commands/trainClassifier';

const program = new Command('halfstep')
  .description('Progressive distillation of diffusion models (Salimans & Ho, ICLR 2022): train, distill, sample, evaluate')
  .showHelpAfterError()
  .exitOverride();

// Each subcommand module: `import * as name from './commands/name'`, then list it here, sorted.
const commands: { register(program: Command): void }[] = [distill, evaluate, inspect, mnistRef, sample, train, trainClassifier];
for (const c of commands) c.register(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  const code = e instanceof CliError ? e.exitCode : 1;
  const message = e instanceof Error ? e.message : String(e);
  // One line, never a stack trace: file problems are the user's to fix, not ours to debug.
  process.stderr.write(`error: ${message.split('\n')[0]}\n`);
  if (process.env.HALFSTEP_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exit(code);
}
