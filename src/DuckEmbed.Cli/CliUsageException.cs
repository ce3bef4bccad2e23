namespace DuckEmbed.Cli;

/// <summary>
/// A mistake in what the user gave the CLI — a config file, a value in it, a flag — in the CLI's own words (which name
/// the key or flag): one line on stderr, exit 1. The library's own errors are its <c>EmbeddingJobException</c> and
/// <c>ModelLoadException</c>, which <see cref="CliErrors"/> puts into the CLI's words.
/// </summary>
internal sealed class CliUsageException : Exception
{
    public CliUsageException(string message)
        : base(message)
    {
    }

    public CliUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
