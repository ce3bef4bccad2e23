namespace DuckEmbed.Onnx.Tokenization;

/// <summary>
/// Hugging Face <c>WordPiece</c>: greedy longest match first, <c>##</c> for continuations, and the whole word
/// becomes <c>[UNK]</c> when it is longer than <see cref="MaxCharactersPerWord"/> or any part has no match
/// (tokenizers/src/models/wordpiece/mod.rs).
/// </summary>
internal sealed class WordPieceTokenizer(Vocabulary vocabulary)
{
    /// <summary>HF's <c>max_input_chars_per_word</c>, counted in Unicode scalar values as Rust's <c>chars()</c>.</summary>
    public const int MaxCharactersPerWord = 100;

    private readonly int _unknownId = vocabulary.UnknownId;

    /// <summary>Appends the ids of <paramref name="word"/> to <paramref name="ids"/>.</summary>
    public void Tokenize(ReadOnlySpan<char> word, List<int> ids)
    {
        if (CountScalars(word) > MaxCharactersPerWord)
        {
            ids.Add(_unknownId);
            return;
        }

        var firstPiece = ids.Count;
        var start = 0;
        while (start < word.Length)
        {
            var end = word.Length;
            var found = -1;
            while (start < end)
            {
                var piece = word[start..end];
                var matched = start == 0
                    ? vocabulary.TryGetWordStart(piece, out var id)
                    : vocabulary.TryGetContinuation(piece, out id);
                if (matched)
                {
                    found = id;
                    break;
                }
                // Shorten by one scalar value, never splitting a surrogate pair.
                end -= char.IsLowSurrogate(word[end - 1]) && end - 2 >= start ? 2 : 1;
            }
            if (found < 0)
            {
                ids.RemoveRange(firstPiece, ids.Count - firstPiece);
                ids.Add(_unknownId);
                return;
            }
            ids.Add(found);
            start = end;
        }
    }

    private static int CountScalars(ReadOnlySpan<char> word)
    {
        if (word.Length <= MaxCharactersPerWord)
        {
            return word.Length;
        }
        var count = 0;
        foreach (var _ in word.EnumerateRunes())
        {
            count++;
        }
        return count;
    }
}
