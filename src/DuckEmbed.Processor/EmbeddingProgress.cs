namespace DuckEmbed.Processor;

/// <summary>
/// Where a run stands: told when it starts, when a window is written to the output and when its stage changes. Windows are committed in groups (a row group's rows or
/// every <see cref="EmbeddingJob.CommitInterval"/>): the newest rows counted here may not be committed yet, and a kill
/// loses them (the next run embeds them again).
/// </summary>
/// <param name="RowsDone">Rows in the output, those of earlier runs included.</param>
/// <param name="TotalRows">Rows the output will hold when this run ends (the input's, unless limited by <see cref="EmbeddingJob.MaxRows"/>).</param>
/// <param name="RowsThisRun">Rows this run has written.</param>
/// <param name="Elapsed">Time since this run started.</param>
public readonly record struct EmbeddingProgress(long RowsDone, long TotalRows, long RowsThisRun, TimeSpan Elapsed)
{
    /// <summary>Tokens the generator processed for the rows this run has written, where it reports them.</summary>
    public long Tokens { get; init; }

    /// <summary>Of the rows this run has written, those whose vector is another row's (their texts being the same).</summary>
    public long ReusedVectors { get; init; }

    /// <summary>What the run is doing now.</summary>
    public EmbeddingStage Stage { get; init; }

    /// <summary>Rows per second over this run.</summary>
    public double RowsPerSecond => Elapsed.TotalSeconds > 0 ? RowsThisRun / Elapsed.TotalSeconds : 0;

    /// <summary>Time left at the rate so far; <c>null</c> before there is a rate.</summary>
    public TimeSpan? EstimatedRemaining => RowsPerSecond > 0
        ? TimeSpan.FromSeconds((TotalRows - RowsDone) / RowsPerSecond)
        : null;
}
