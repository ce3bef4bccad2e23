namespace DuckEmbed.Processor;

/// <summary>What a run is doing, for a display to show: the stages of the pipeline overlap, this is the one a user waits on.</summary>
public enum EmbeddingStage
{
    /// <summary>
    /// Before any row: embedding a sample of the input for int8's ranges (<see cref="EmbeddingJob.Int8CalibrationRows"/>
    /// texts). The progress's counts are all zero.
    /// </summary>
    Calibrating = 4,

    /// <summary>Rows flow: read, embedded and written (the model is what a run usually waits on).</summary>
    Embedding,

    /// <summary>
    /// The first rows are being read: a scan of the input (on a resume, past the rows the output holds) that takes a
    /// while on a large table before the first text reaches the model.
    /// </summary>
    Reading,

    /// <summary>Rows are committed (a DuckDB row group per writer, or what was held for <see cref="EmbeddingJob.CommitInterval"/>).</summary>
    Committing,

    /// <summary>Every row is committed; DuckDB moves its write-ahead log into the output file.</summary>
    Checkpoint,
}
