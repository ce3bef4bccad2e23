namespace DuckEmbed.Onnx.Tokenization;

/// <summary>A WordPiece vocabulary (<c>vocab.txt</c>: one token a line, the id is the line number).</summary>
internal sealed class Vocabulary
{
    private const string ContinuationPrefix = "##";
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _wordStarts;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _continuations;

    private Vocabulary(Dictionary<string, int> tokens, int highestId)
    {
        HighestId = highestId;
        var continuations = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (token, id) in tokens)
        {
            if (token.Length > ContinuationPrefix.Length && token.StartsWith(ContinuationPrefix, StringComparison.Ordinal))
            {
                continuations[token[ContinuationPrefix.Length..]] = id;
            }
        }
        _wordStarts = tokens.GetAlternateLookup<ReadOnlySpan<char>>();
        _continuations = continuations.GetAlternateLookup<ReadOnlySpan<char>>();
        Count = tokens.Count;
    }

    public int Count { get; }

    /// <summary>The id of the last line: token ids run up to it, and the model's token table must have a row for each.</summary>
    public int HighestId { get; }

    public int PadId => RequiredId("[PAD]");
    public int UnknownId => RequiredId("[UNK]");
    public int ClassifierId => RequiredId("[CLS]");
    public int SeparatorId => RequiredId("[SEP]");
    public int MaskId => RequiredId("[MASK]");

    /// <summary>Reads <c>vocab.txt</c>; line endings may be LF or CRLF, as in HF's loader.</summary>
    public static Vocabulary Load(TextReader reader)
    {
        var tokens = new Dictionary<string, int>(32_000, StringComparer.Ordinal);
        var id = 0;
        while (reader.ReadLine() is { } line)
        {
            // HF keeps the first id of a token listed twice.
            tokens.TryAdd(line.TrimEnd('\r'), id);
            id++;
        }
        if (tokens.Count == 0)
        {
            throw new InvalidDataException("The vocabulary is empty.");
        }
        return new Vocabulary(tokens, id - 1);
    }

    public bool TryGetWordStart(ReadOnlySpan<char> piece, out int id) => _wordStarts.TryGetValue(piece, out id);

    /// <summary>Looks up <c>"##" + piece</c> without building that string.</summary>
    public bool TryGetContinuation(ReadOnlySpan<char> piece, out int id) => _continuations.TryGetValue(piece, out id);

    private int RequiredId(string token) => _wordStarts.TryGetValue(token, out var id)
        ? id
        : throw new InvalidDataException($"The vocabulary has no {token} token.");
}
