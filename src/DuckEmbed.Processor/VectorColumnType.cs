namespace DuckEmbed.Processor;

/// <summary>The DuckDB type of the output's vector column.</summary>
public enum VectorColumnType
{
    /// <summary>
    /// <c>FLOAT[N]</c>, N the embedding's dimensions: what DuckDB's vss extension indexes (HNSW) and
    /// <c>array_cosine_similarity</c> takes, so the output can be searched without copying it.
    /// </summary>
    Array,

    /// <summary><c>FLOAT[]</c>, a list of any length: the design document's type.</summary>
    List,
}
