namespace DuckEmbed.Processor.Output;

/// <summary>
/// What an output table holds against the input: its rows, those whose ids the input no longer has (or that are not
/// this shard's), and those whose text the input has changed since; an example id of each, as text.
/// </summary>
internal readonly record struct StoredRows(long Rows, long Gone, string? GoneExample, long Changed, string? ChangedExample)
{
    /// <summary>Rows all of which are the input's as it is now.</summary>
    public static StoredRows OfThisInput(long rows) => new(rows, 0, null, 0, null);

    /// <summary>Rows whose ids the input has.</summary>
    public long Kept => Rows - Gone;

    /// <summary>Rows the input has with the same text.</summary>
    public long Unchanged => Rows - Gone - Changed;
}
