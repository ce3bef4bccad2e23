namespace DuckEmbed.Cli;

/// <summary>
/// What every command is given besides its own arguments: the environment it reads (BATCH_SIZE, DUCKEMBED_…),
/// where its output and its errors go, and <c>--verbose</c>. Tests give their own writers and environment.
/// </summary>
internal sealed record CommandContext(Func<string, string?> Environment, TextWriter Out, TextWriter Error, bool Verbose)
{
    /// <summary>This process's environment and console.</summary>
    public static CommandContext Of(bool verbose) => new(System.Environment.GetEnvironmentVariable, Console.Out, Console.Error, verbose);
}
