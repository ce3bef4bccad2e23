using DuckEmbed.Onnx;
using DuckEmbed.Processor;

namespace DuckEmbed.Cli;

/// <summary>How every command reports a failure: one line on stderr, and the exit code that says whose it is.</summary>
internal static class CliErrors
{
    /// <summary>A user's mistake (a setting, the data, the model folder): its message, exit 1. Anything else: exit 2.</summary>
    public static int Report(Exception error, TextWriter stderr, bool verbose)
    {
        if (error is EmbeddingJobException or ModelLoadException)
        {
            stderr.WriteLine($"error: {error.Message}");
            if (verbose)
            {
                stderr.WriteLine(error);
            }
            return ExitCodes.UserError;
        }
        stderr.WriteLine($"error: {error.GetType().Name}: {error.Message}");
        stderr.WriteLine(verbose ? error.ToString() : "Run again with --verbose for details.");
        return ExitCodes.Failure;
    }
}
