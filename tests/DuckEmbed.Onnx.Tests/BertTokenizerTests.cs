namespace DuckEmbed.Onnx.Tests;

/// <summary>The Hugging Face rules the reference rows exercise, pinned one by one on small inputs.</summary>
public sealed class BertTokenizerTests(BundledModelFixture model) : IClassFixture<BundledModelFixture>
{
    private int[] Ids(string text) => model.Tokenizer.Encode(text).Ids.ToArray();

    private int Id(string token) => model.Tokenizer.Encode(token).Ids.Span[1];

    [Fact]
    public void Wraps_every_text_in_cls_and_sep_even_an_empty_one()
    {
        Assert.Equal([101, 102], Ids(""));
        Assert.Equal([101, 102], Ids(" \t\n "));
    }

    [Fact]
    public void Matches_special_tokens_in_raw_text_but_not_their_lowercase_forms()
    {
        Assert.Equal([101, 101, 102], Ids("[CLS]"));
        Assert.Equal([101, Id("a"), 103, Id("b"), 102], Ids("a[MASK]b"));
        Assert.Equal([101, Id("["), Id("cl"), 2015, Id("]"), 102], Ids("[cls]"));
    }

    [Fact]
    public void Splits_ascii_symbols_as_punctuation()
    {
        var ids = Ids("a$b^c`d~e|f<g>h=i+j");
        Assert.Equal(21, ids.Length);
        Assert.Equal(Id("$"), ids[2]);
        Assert.Equal(Id("+"), ids[^3]);
    }

    [Fact]
    public void Drops_control_and_zero_width_characters_and_maps_other_whitespace_to_spaces()
    {
        Assert.Equal(Ids("ab cd"), Ids("a\u200Bb\u00A0c\u0007d"));
        Assert.Equal(Ids("ab"), Ids("a\u000Bb"));
    }

    [Fact]
    public void Strips_accents_and_lowercases()
    {
        Assert.Equal(Ids("cafe"), Ids("CAFÉ"));
        Assert.Equal(Ids("i"), Ids("\u0130"));
    }

    [Fact]
    public void Puts_each_cjk_ideograph_in_a_word_of_its_own()
    {
        Assert.Equal(4, Ids("中文").Length);
        Assert.Equal(Ids("中 文"), Ids("中文"));
    }

    [Fact]
    public void Turns_a_word_over_100_characters_into_one_unknown_token()
    {
        Assert.NotEqual([101, 100, 102], Ids(new string('a', 100)));
        Assert.Equal([101, 100, 102], Ids(new string('a', 101)));
    }

    [Fact]
    public void Truncates_to_256_tokens_and_says_so()
    {
        var encoded = model.Tokenizer.Encode(string.Join(' ', Enumerable.Repeat("word", 300)));
        Assert.Equal(256, encoded.Ids.Length);
        Assert.Equal(102, encoded.Ids.Span[^1]);
        Assert.True(encoded.Truncated);
        Assert.False(model.Tokenizer.Encode(string.Join(' ', Enumerable.Repeat("word", 254))).Truncated);
        Assert.True(model.Tokenizer.Encode(string.Join(' ', Enumerable.Repeat("word", 255))).Truncated);
    }
}
