using DuckEmbed.Onnx.Inference;

namespace DuckEmbed.Onnx.Tests;

/// <summary>Each pooling on a hand-made sequence: three tokens of four dimensions, then a padding row.</summary>
public sealed class SentencePoolingTests
{
    private static readonly float[] Hidden =
    [
        1, 0, 2, 0,
        3, 4, -2, 0,
        -1, 2, 6, 1,
        100, 100, 100, 100,
    ];

    private static float[] Pool(PoolingMode mode, int dimensions = 4, int? truncate = null)
    {
        var embedding = new float[dimensions];
        new SentencePooling(mode, truncate).PoolAndNormalize(Hidden, tokenCount: 3, hiddenDimensions: 4, embedding);
        return embedding;
    }

    private static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], actual[i], 5);
        }
    }

    private static float[] Unit(params float[] v)
    {
        var norm = (float)Math.Sqrt(v.Sum(x => x * x));
        return [.. v.Select(x => x / norm)];
    }

    [Fact]
    public void Mean_averages_the_texts_tokens_and_not_the_padding() => AssertClose(Unit(1, 2, 2, 1f / 3), Pool(PoolingMode.Mean));

    [Fact]
    public void Cls_takes_the_first_token() => AssertClose(Unit(1, 0, 2, 0), Pool(PoolingMode.Cls));

    [Fact]
    public void Max_takes_each_dimensions_largest_value_over_the_texts_tokens() => AssertClose(Unit(3, 4, 6, 1), Pool(PoolingMode.Max));

    [Fact]
    public void Truncation_cuts_before_normalising() => AssertClose(Unit(1, 2), Pool(PoolingMode.Mean, dimensions: 2, truncate: 2));

    [Fact]
    public void A_mode_it_does_not_know_is_refused_not_mean_pooled() =>
        Assert.Throws<InvalidOperationException>(() => Pool((PoolingMode)99));
}
