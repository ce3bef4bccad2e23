namespace DuckEmbed.Processor;

/// <summary>
/// A problem the user can fix: a bad setting, a missing table or column, unusable data. The message says what is
/// wrong and what to do in the library's own words; <see cref="Setting"/> and <see cref="CanOverwrite"/> let a
/// program add its own names for them (a config key, a flag).
/// </summary>
public sealed class EmbeddingJobException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EmbeddingJobException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public EmbeddingJobException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Creates the exception about <paramref name="setting"/>.</summary>
    public EmbeddingJobException(JobSetting setting, string message, Exception? inner = null) : base(message, inner) => Setting = setting;

    /// <summary>The setting at fault, or <see cref="JobSetting.None"/>.</summary>
    public JobSetting Setting { get; }

    /// <summary>Whether running again with <see cref="EmbeddingJob.Overwrite"/> set would get past the problem (by dropping the output table).</summary>
    public bool CanOverwrite { get; init; }
}
