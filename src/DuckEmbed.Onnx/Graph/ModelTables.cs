using DuckEmbed.Onnx.Graph.Proto;

namespace DuckEmbed.Onnx.Graph;

/// <summary>
/// The sizes of a BERT model's token and position tables, read from its graph: a token id at or past the token table's
/// rows, or a position past the position table's, makes ONNX Runtime fail in the middle of a run (a Gather out of
/// range), after the output was created. Known before the first text, they are checked at load instead.
/// </summary>
/// <param name="TokenRows">Rows of the word-embedding table (the largest token id + 1); <c>null</c> if not found.</param>
/// <param name="PositionRows">Rows of the position-embedding table (the longest input); <c>null</c> if not found.</param>
internal sealed record ModelTables(long? TokenRows, long? PositionRows)
{
    /// <summary>
    /// The tables of <paramref name="model"/>: the 2-D constants a <c>Gather</c> reads by <c>input_ids</c> (tokens) or
    /// that Hugging Face exports name <c>…position_embeddings…</c>.
    /// </summary>
    public static ModelTables Read(byte[] model)
    {
        var graph = ModelProto.Parser.ParseFrom(model).Graph;
        var tables = graph.Initializer.Where(t => t.Dims.Count == 2).ToDictionary(t => t.Name, t => t.Dims[0], StringComparer.Ordinal);
        var tokenRows = graph.Node.Where(n => n.OpType == "Gather" && n.Input.Count == 2 && n.Input[1] == "input_ids" && tables.ContainsKey(n.Input[0]))
            .Select(n => (long?)tables[n.Input[0]]).FirstOrDefault()
            ?? Named(tables, "word_embeddings");
        return new ModelTables(tokenRows, Named(tables, "position_embeddings"));
    }

    private static long? Named(Dictionary<string, long> tables, string part) =>
        tables.Where(t => t.Key.Contains(part, StringComparison.Ordinal)).Select(t => (long?)t.Value).FirstOrDefault();
}
