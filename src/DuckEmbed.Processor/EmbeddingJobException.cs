namespace DuckEmbed.Processor;

/// <summary>
/// A problem the user can fix: a bad setting, a missing table or column, unusable data. The message names
/// the setting or thing at fault and says what to do.
/// </summary>
public sealed class EmbeddingJobException : Exception
{
    /// <summary>Creates the exception.</summary>
    public EmbeddingJobException(string message) : base(message) { }

    /// <summary>Creates the exception with its cause.</summary>
    public EmbeddingJobException(string message, Exception inner) : base(message, inner) { }
}
