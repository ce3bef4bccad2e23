namespace DuckEmbed.Processor;

/// <summary>
/// The setting of an <see cref="EmbeddingJob"/> that an <see cref="EmbeddingJobException"/> is about, so that a
/// program reusing the library can name it in its own terms (a config key, a flag, a form field).
/// </summary>
public enum JobSetting
{
    /// <summary>No one setting: the data, or several settings together.</summary>
    None,

    /// <summary><see cref="EmbeddingJob.InputDatabasePath"/>.</summary>
    InputDatabasePath,

    /// <summary><see cref="EmbeddingJob.OutputDatabasePath"/>.</summary>
    OutputDatabasePath,

    /// <summary><see cref="EmbeddingJob.InputTable"/>.</summary>
    InputTable,

    /// <summary><see cref="EmbeddingJob.IdColumn"/>.</summary>
    IdColumn,

    /// <summary><see cref="EmbeddingJob.TextColumn"/>.</summary>
    TextColumn,

    /// <summary><see cref="EmbeddingJob.OutputTable"/>.</summary>
    OutputTable,

    /// <summary><see cref="EmbeddingJob.VectorColumn"/>.</summary>
    VectorColumn,

    /// <summary><see cref="EmbeddingJob.VectorPrecision"/>.</summary>
    VectorPrecision,

    /// <summary><see cref="EmbeddingJob.WindowSize"/>.</summary>
    WindowSize,

    /// <summary><see cref="EmbeddingJob.Writers"/>.</summary>
    Writers,

    /// <summary><see cref="EmbeddingJob.CommitInterval"/>.</summary>
    CommitInterval,

    /// <summary><see cref="EmbeddingJob.GeneratorCalls"/>.</summary>
    GeneratorCalls,

    /// <summary><see cref="EmbeddingJob.DuckDbMemoryLimit"/>.</summary>
    DuckDbMemoryLimit,

    /// <summary><see cref="EmbeddingJob.MaxRows"/>.</summary>
    MaxRows,

    /// <summary><see cref="EmbeddingJob.Shard"/>.</summary>
    Shard,
}
