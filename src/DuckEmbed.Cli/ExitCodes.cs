namespace DuckEmbed.Cli;

/// <summary>What every command's exit code means (docs/usage.md, "Exit codes").</summary>
internal static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>A setting or the data is wrong; the message says which and how to fix it.</summary>
    public const int UserError = 1;

    /// <summary>An unexpected failure.</summary>
    public const int Failure = 2;

    /// <summary>Stopped by Ctrl-C (128 + SIGINT, as shells report it).</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM (128 + SIGTERM).</summary>
    public const int Terminated = 143;
}
