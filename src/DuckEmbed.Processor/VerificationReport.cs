namespace DuckEmbed.Processor;

/// <summary>What <see cref="EmbeddingVerifier"/> found.</summary>
public sealed record VerificationReport
{
    /// <summary>Rows in the output table.</summary>
    public required long Rows { get; init; }

    /// <summary>Rows in the input table.</summary>
    public required long InputRows { get; init; }

    /// <summary>Rows embedded again to compare with what is stored.</summary>
    public required int SampledRows { get; init; }

    /// <summary>How the output stores its vectors (as its record says).</summary>
    public VectorPrecision Precision { get; init; }

    /// <summary>
    /// The lowest cosine between a sampled row's stored and new vector (NaN without a sample); for int8 and binary, between
    /// the new vector and the one the stored codes stand for (<c>min + step × (code + 128)</c>, or ±1 by bit), which
    /// says what the quantization keeps, not whether it is right: the codes themselves are compared for that.
    /// </summary>
    public required double LowestSampleCosine { get; init; }

    /// <summary>Each problem found, in words; empty when the output is complete and consistent.</summary>
    public required IReadOnlyList<string> Problems { get; init; }

    /// <summary>Whether every check held.</summary>
    public bool Passed => Problems.Count == 0;
}
