/** For tests of the command-line tool's input checks, which fail by throwing a CliError. */
import { CliError } from "../../cli/exit";

/** The exit code and message of the CliError `fn` throws (the test fails if it throws nothing, or something else). */
export function failure(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (error) {
    if (error instanceof CliError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error("did not fail");
}
