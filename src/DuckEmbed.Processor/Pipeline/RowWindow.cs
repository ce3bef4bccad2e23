using DuckEmbed.Processor.Input;
namespace DuckEmbed.Processor.Pipeline;

/// <summary>Consecutive input rows, in id order, that are embedded and committed together.</summary>
internal sealed class RowWindow(int capacity, IdColumn ids)
{
    public IdValues Ids { get; } = ids.CreateValues(capacity);
    public string?[] Texts { get; } = new string?[capacity];

    /// <summary>Rows that replace a stored row of the same id and another text (a sync's changed texts).</summary>
    public bool[] Replaces { get; } = new bool[capacity];
    public int Count { get; set; }

    /// <summary>One vector per row; <c>null</c> where the text was NULL. Set by the embedding stage.</summary>
    public ReadOnlyMemory<float>?[] Vectors { get; } = new ReadOnlyMemory<float>?[capacity];

    /// <summary>Where <see cref="Vectors"/> are, when the generator wrote them into the processor's block (<see cref="VectorBlocks"/>).</summary>
    public float[]? VectorBlock { get; set; }
    public long Tokens { get; set; }
    public long TruncatedTexts { get; set; }

    /// <summary>Rows whose vector is another row's, their texts being the same.</summary>
    public long ReusedVectors { get; set; }
}
