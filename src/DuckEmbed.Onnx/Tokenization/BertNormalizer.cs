using System.Buffers;
using System.Globalization;
using System.Text;

namespace DuckEmbed.Onnx.Tokenization;

/// <summary>
/// Hugging Face <c>BertNormalizer</c> with clean_text, handle_chinese_chars, strip_accents and lowercase on,
/// in that order (tokenizers/src/normalizers/bert.rs).
/// </summary>
/// <remarks>
/// HF classifies characters with the <c>unicode_categories</c> crate, whose <c>is_other</c> is Cc, Cf and Co only
/// (not Cn), and with Rust's <c>char::is_whitespace</c> (the White_Space property, the same set as
/// <see cref="Rune.IsWhiteSpace"/>). Lowercasing is per character, as <c>char::to_lowercase</c>; the one character
/// whose full lowercase mapping is two characters (U+0130) has already lost its dot to accent stripping.
/// </remarks>
internal static class BertNormalizer
{
    /// <summary>Appends the normalized form of <paramref name="text"/> to <paramref name="output"/>.</summary>
    public static void Normalize(ReadOnlySpan<char> text, StringBuilder output)
    {
        if (IsPlainAscii(text))
        {
            NormalizeAscii(text, output);
            return;
        }

        var cleaned = new StringBuilder(text.Length + 8);
        foreach (var rune in text.EnumerateRunes())
        {
            // An unpaired surrogate decodes to U+FFFD, which clean_text removes: a Rust string cannot hold one.
            if (rune.Value == 0 || rune.Value == 0xFFFD || IsControl(rune))
            {
                continue;
            }
            if (IsWhitespace(rune))
            {
                cleaned.Append(' ');
            }
            else if (IsChineseCharacter(rune.Value))
            {
                cleaned.Append(' ');
                AppendRune(cleaned, rune);
                cleaned.Append(' ');
            }
            else
            {
                AppendRune(cleaned, rune);
            }
        }

        var decomposed = cleaned.ToString().Normalize(NormalizationForm.FormD);
        foreach (var rune in decomposed.EnumerateRunes())
        {
            if (Rune.GetUnicodeCategory(rune) == UnicodeCategory.NonSpacingMark)
            {
                continue;
            }
            AppendRune(output, Rune.ToLowerInvariant(rune));
        }
    }

    /// <summary>The White_Space property; tab, newline and carriage return included explicitly as HF does.</summary>
    public static bool IsWhitespace(Rune rune) =>
        rune.Value is '\t' or '\n' or '\r' || Rune.IsWhiteSpace(rune);

    /// <summary>HF's <c>is_control</c>: categories Cc, Cf and Co, except tab, newline and carriage return.</summary>
    public static bool IsControl(Rune rune)
    {
        if (rune.Value is '\t' or '\n' or '\r')
        {
            return false;
        }
        return Rune.GetUnicodeCategory(rune) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.PrivateUse;
    }

    /// <summary>The CJK ideograph blocks BERT pads with spaces so that each ideograph is a word of its own.</summary>
    public static bool IsChineseCharacter(int codePoint) => codePoint switch
    {
        >= 0x4E00 and <= 0x9FFF => true,
        >= 0x3400 and <= 0x4DBF => true,
        >= 0x20000 and <= 0x2A6DF => true,
        >= 0x2A700 and <= 0x2B73F => true,
        >= 0x2B740 and <= 0x2B81F => true,
        >= 0x2B920 and <= 0x2CEAF => true,
        >= 0xF900 and <= 0xFAFF => true,
        >= 0x2F800 and <= 0x2FA1F => true,
        _ => false,
    };

    private static readonly SearchValues<char> NonAsciiOrControl = SearchValues.Create(
        Enumerable.Range(0, 0x20).Select(i => (char)i).Append('\x7F').ToArray());

    // Most real text is ASCII; for it normalization is a lowercase with control characters dropped.
    private static bool IsPlainAscii(ReadOnlySpan<char> text) => !text.ContainsAnyExceptInRange('\0', '\x7F');

    private static void NormalizeAscii(ReadOnlySpan<char> text, StringBuilder output)
    {
        while (!text.IsEmpty)
        {
            var special = text.IndexOfAny(NonAsciiOrControl);
            var run = special < 0 ? text : text[..special];
            foreach (var c in run)
            {
                output.Append(c is >= 'A' and <= 'Z' ? (char)(c + 32) : c);
            }
            if (special < 0)
            {
                return;
            }
            // Tab, newline and return become spaces; every other C0 control (vertical tab and form feed too,
            // as clean_text filters controls before it maps whitespace) and DEL are dropped.
            if (text[special] is '\t' or '\n' or '\r')
            {
                output.Append(' ');
            }
            text = text[(special + 1)..];
        }
    }

    private static void AppendRune(StringBuilder builder, Rune rune)
    {
        Span<char> buffer = stackalloc char[2];
        var length = rune.EncodeToUtf16(buffer);
        builder.Append(buffer[..length]);
    }
}
