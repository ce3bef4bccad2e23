using System.Globalization;
using System.Text;

namespace DuckEmbed.Onnx.Tokenization;

/// <summary>
/// Hugging Face <c>BertPreTokenizer</c>: splits on whitespace (removed) and on punctuation (each mark a word of
/// its own). Punctuation is Rust's <c>is_ascii_punctuation</c> — so ASCII symbols such as <c>$^`~|&lt;&gt;=+</c>
/// count — or any Unicode P* category (tokenizers/src/pre_tokenizers/bert.rs).
/// </summary>
internal static class BertPreTokenizer
{
    /// <summary>Calls <paramref name="onWord"/> for every word of <paramref name="normalized"/>, in order.</summary>
    public static void Split<TState>(ReadOnlySpan<char> normalized, TState state, WordHandler<TState> onWord)
    {
        var wordStart = -1;
        var index = 0;
        while (index < normalized.Length)
        {
            Rune.DecodeFromUtf16(normalized[index..], out var rune, out var consumed);
            if (Rune.IsWhiteSpace(rune))
            {
                if (wordStart >= 0)
                {
                    onWord(normalized[wordStart..index], state);
                    wordStart = -1;
                }
            }
            else if (IsPunctuation(rune))
            {
                if (wordStart >= 0)
                {
                    onWord(normalized[wordStart..index], state);
                    wordStart = -1;
                }
                onWord(normalized.Slice(index, consumed), state);
            }
            else if (wordStart < 0)
            {
                wordStart = index;
            }
            index += consumed;
        }
        if (wordStart >= 0)
        {
            onWord(normalized[wordStart..], state);
        }
    }

    /// <summary>HF's <c>is_bert_punc</c>.</summary>
    public static bool IsPunctuation(Rune rune)
    {
        if (rune.IsAscii)
        {
            return char.IsAsciiLetterOrDigit((char)rune.Value) is false && rune.Value is > 0x20 and < 0x7F;
        }
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.ConnectorPunctuation
            or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation
            or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }
}
