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

    /// <summary>The lowest cosine between a sampled row's stored and new vector (NaN without a sample).</summary>
    public required double LowestSampleCosine { get; init; }

    /// <summary>Each problem found, in words; empty when the output is complete and consistent.</summary>
    public required IReadOnlyList<string> Problems { get; init; }

    /// <summary>Whether every check held.</summary>
    public bool Passed => Problems.Count == 0;
}
