using System.Runtime.InteropServices;
using System.Text;

namespace DuckEmbed.Onnx.Tokenization;

/// <summary>
/// The tokenizer of BERT-family sentence-transformers (all-MiniLM-L6-v2 and kin), token for token the same as
/// Hugging Face's <c>BertTokenizerFast</c>: special tokens are matched in the raw text, the rest goes through
/// <see cref="BertNormalizer"/>, <see cref="BertPreTokenizer"/> and <see cref="WordPieceTokenizer"/>, then
/// <c>[CLS] … [SEP]</c> with truncation to <see cref="MaxLength"/> tokens in all.
/// </summary>
internal sealed class BertTokenizer
{
    private readonly Vocabulary _vocabulary;
    private readonly WordPieceTokenizer _wordPiece;
    private readonly (string Text, int Id)[] _specialTokens;

    // One scratch state per thread, reused text after text: tokenizing into a caller's buffer allocates nothing (a
    // fresh state per text was ~1.7 KB of lists and buffers for a 130-character text).
    [ThreadStatic]
    private static EncodingState? _threadState;

    public BertTokenizer(Vocabulary vocabulary, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        _vocabulary = vocabulary;
        _wordPiece = new WordPieceTokenizer(vocabulary);
        MaxLength = maxLength;
        _specialTokens =
        [
            ("[PAD]", vocabulary.PadId), ("[UNK]", vocabulary.UnknownId), ("[CLS]", vocabulary.ClassifierId),
            ("[SEP]", vocabulary.SeparatorId), ("[MASK]", vocabulary.MaskId),
        ];
    }

    /// <summary>Most tokens a text becomes, <c>[CLS]</c> and <c>[SEP]</c> included.</summary>
    public int MaxLength { get; }

    public int PadId => _vocabulary.PadId;

    /// <summary>The largest id a text can become (the vocabulary's last line).</summary>
    public int HighestTokenId => _vocabulary.HighestId;

    /// <summary>Tokenizes one text into <c>[CLS] … [SEP]</c>, truncated to <see cref="MaxLength"/>, in an array of its own.</summary>
    public EncodedText Encode(string text)
    {
        var (state, truncated) = Tokenize(text);
        return new EncodedText(state.Ids.ToArray(), truncated);
    }

    /// <summary>
    /// Tokenizes one text into <paramref name="destination"/> (at least <see cref="MaxLength"/> long): how many ids it
    /// wrote, and whether truncation cut the text. Allocates nothing.
    /// </summary>
    public (int Count, bool Truncated) Encode(string text, Span<int> destination)
    {
        var (state, truncated) = Tokenize(text);
        CollectionsMarshal.AsSpan(state.Ids).CopyTo(destination);
        return (state.Ids.Count, truncated);
    }

    /// <summary>The text's ids in this thread's scratch state (valid until its next call), and whether they were cut.</summary>
    private (EncodingState State, bool Truncated) Tokenize(string text)
    {
        var state = _threadState ??= new EncodingState();
        state.Start(this);
        state.Ids.Add(_vocabulary.ClassifierId);

        var remaining = text.AsSpan();
        while (!remaining.IsEmpty && !state.IsFull)
        {
            var (offset, length, id) = FindSpecialToken(remaining);
            var plain = offset < 0 ? remaining : remaining[..offset];
            if (!plain.IsEmpty)
            {
                state.Normalized.Clear();
                BertNormalizer.Normalize(plain, state.Normalized);
                BertPreTokenizer.Split(NormalizedSpan(state), state, static (word, s) => s.AddWord(word));
            }
            if (offset < 0)
            {
                break;
            }
            state.AddSpecial(id);
            remaining = remaining[(offset + length)..];
        }

        var contentLimit = MaxLength - 1;
        var truncated = state.Ids.Count > contentLimit;
        if (truncated)
        {
            state.Ids.RemoveRange(contentLimit, state.Ids.Count - contentLimit);
        }
        state.Ids.Add(_vocabulary.SeparatorId);
        return (state, truncated);
    }

    // A StringBuilder may hold its text in several chunks; the pre-tokenizer wants one span.
    private static ReadOnlySpan<char> NormalizedSpan(EncodingState state)
    {
        var builder = state.Normalized;
        if (state.Buffer.Length < builder.Length)
        {
            state.Buffer = new char[Math.Max(builder.Length, state.Buffer.Length * 2)];
        }
        builder.CopyTo(0, state.Buffer, builder.Length);
        return state.Buffer.AsSpan(0, builder.Length);
    }

    // Leftmost match; no special token is a prefix of another, so leftmost is also longest.
    private (int Offset, int Length, int Id) FindSpecialToken(ReadOnlySpan<char> text)
    {
        var searchFrom = 0;
        while (true)
        {
            var bracket = text[searchFrom..].IndexOf('[');
            if (bracket < 0)
            {
                return (-1, 0, 0);
            }
            var at = searchFrom + bracket;
            foreach (var (token, id) in _specialTokens)
            {
                if (text[at..].StartsWith(token, StringComparison.Ordinal))
                {
                    return (at, token.Length, id);
                }
            }
            searchFrom = at + 1;
        }
    }

    private sealed class EncodingState
    {
        public readonly List<int> Ids = new(64);
        public readonly StringBuilder Normalized = new(256);
        public char[] Buffer = new char[256];
        private BertTokenizer _owner = null!;

        public void Start(BertTokenizer owner)
        {
            _owner = owner;
            Ids.Clear();
            Normalized.Clear();
        }

        // Content beyond MaxLength - 1 tokens is cut anyway; one extra token tells us that it was cut.
        public bool IsFull => Ids.Count > _owner.MaxLength - 1;

        public void AddWord(ReadOnlySpan<char> word)
        {
            if (!IsFull)
            {
                _owner._wordPiece.Tokenize(word, Ids);
            }
        }

        public void AddSpecial(int id)
        {
            if (!IsFull)
            {
                Ids.Add(id);
            }
        }
    }
}
