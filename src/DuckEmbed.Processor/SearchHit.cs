namespace DuckEmbed.Processor;

/// <summary>One row found by <see cref="EmbeddingSearch"/>.</summary>
/// <param name="Rank">1 for the closest row.</param>
/// <param name="Id">The row's id, as DuckDB writes it as text.</param>
/// <param name="Score">Cosine similarity to the query, 1 for the same direction.</param>
/// <param name="Text">The row's text.</param>
public sealed record SearchHit(int Rank, string Id, double Score, string Text);
