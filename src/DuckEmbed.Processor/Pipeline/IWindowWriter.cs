namespace DuckEmbed.Processor.Pipeline;

/// <summary>
/// Where the pipeline hands embedded windows: one writer per writing thread. A writer may hold windows' rows back to
/// commit them together; what it has not committed is never in the output, so the next run embeds it again.
/// </summary>
internal interface IWindowWriter
{
    /// <summary>
    /// Writes <paramref name="window"/>; returns what this call committed (nothing while it holds its rows back). The
    /// window's vectors are read here or never: once this returns, their memory goes to a later window.
    /// </summary>
    WindowTally Add(RowWindow window);

    /// <summary>How long until the windows held back are due (zero: now); <c>null</c> when there are none.</summary>
    TimeSpan? TimeToCommit { get; }

    /// <summary>Commits the windows held back; returns what they hold.</summary>
    WindowTally Commit();

    /// <summary>Told <c>true</c> as a commit starts and <c>false</c> as it ends.</summary>
    event Action<bool>? Committing;
}
