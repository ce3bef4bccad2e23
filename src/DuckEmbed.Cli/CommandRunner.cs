using Microsoft.Extensions.Logging;

namespace DuckEmbed.Cli;

/// <summary>
/// What every command does around its own work, in one place: Ctrl-C and SIGTERM become the command's cancellation
/// (exit 130 / 143, after what <c>stopped</c> says the stop left), logging (warnings and errors on stderr;
/// <c>--verbose</c> adds the debug lines and an error's stack trace), and any error as one line on stderr with its
/// exit code (<see cref="CliErrors"/>).
/// </summary>
internal static class CommandRunner
{
    /// <param name="stderr">Where the error line and the stop's message go.</param>
    /// <param name="verbose">The <c>--verbose</c> flag.</param>
    /// <param name="command">The command's own work: given the logging and the stop token, returns the exit code.</param>
    /// <param name="stopped">What the stop left, for the user (e.g. how to resume); <c>null</c> or none for nothing.</param>
    /// <param name="minimum">The least log level shown without <c>--verbose</c>.</param>
    public static async Task<int> RunAsync(TextWriter stderr, bool verbose, Func<ILoggerFactory, CancellationToken, Task<int>> command,
        Func<string?>? stopped = null, LogLevel minimum = LogLevel.Information)
    {
        using var stop = new StopSignals();
        using var logging = CliServices.CreateLogging(verbose, minimum);
        try
        {
            return await command(logging, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.Stopped)
        {
            if (stopped?.Invoke() is { } message)
            {
                stderr.WriteLine(message);
            }
            return stop.ExitCode;
        }
        catch (Exception e)
        {
            return CliErrors.Report(e, stderr, verbose);
        }
    }

    /// <summary>The same, with the errors to <paramref name="context"/>'s and its <c>--verbose</c>.</summary>
    public static Task<int> RunAsync(CommandContext context, Func<ILoggerFactory, CancellationToken, Task<int>> command, Func<string?>? stopped = null,
        LogLevel minimum = LogLevel.Information) =>
        RunAsync(context.Error, context.Verbose, command, stopped, minimum);

    /// <summary>The same for a command whose work does not wait on anything.</summary>
    public static int Run(CommandContext context, Func<ILoggerFactory, CancellationToken, int> command, Func<string?>? stopped = null) =>
        Run(context.Error, context.Verbose, command, stopped);

    /// <summary>The same for a command whose work does not wait on anything.</summary>
    public static int Run(TextWriter stderr, bool verbose, Func<ILoggerFactory, CancellationToken, int> command, Func<string?>? stopped = null) =>
        RunAsync(stderr, verbose, (logging, stop) => Task.FromResult(command(logging, stop)), stopped).GetAwaiter().GetResult();
}
