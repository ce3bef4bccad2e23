namespace DuckEmbed.Onnx.Graph;

/// <summary>
/// What <see cref="Int8Quantization"/> does with the outlier channels of one MatMul input: the factor each channel
/// of the input is multiplied by before quantizing (1 for ordinary channels, below 1 for scaled-down outliers,
/// 0 for channels taken out), and the channels taken out to the fp32 side product.
/// </summary>
internal sealed class OutlierPlan
{
    private OutlierPlan(float[] inputScales, int[] sideChannels)
    {
        InputScales = inputScales;
        SideChannels = sideChannels;
    }

    public float[] InputScales { get; }

    public int[] SideChannels { get; }

    public bool ChangesInput => InputScales.Any(s => s != 1f);

    public static OutlierPlan None(int channels) => new(Enumerable.Repeat(1f, channels).ToArray(), []);

    /// <summary>
    /// The plan for an input whose channels reached <paramref name="channelMaxima"/> in calibration and whose weight
    /// rows reach <paramref name="rowMaxima"/>.
    /// </summary>
    public static OutlierPlan For(float[] channelMaxima, float[] rowMaxima)
    {
        var threshold = Int8Quantization.OutlierRatio * Median(channelMaxima);
        var heavyRow = Int8Quantization.WeightOutlierRatio * Median(rowMaxima);
        var scales = new float[channelMaxima.Length];
        var side = new List<int>();
        for (var c = 0; c < scales.Length; c++)
        {
            if (channelMaxima[c] <= threshold || threshold <= 0)
            {
                scales[c] = 1f;
            }
            else if (rowMaxima[c] > heavyRow)
            {
                scales[c] = 0f;
                side.Add(c);
            }
            else
            {
                scales[c] = threshold / channelMaxima[c];
            }
        }
        return new OutlierPlan(scales, [.. side]);
    }

    /// <summary>
    /// The weights the int8 product uses: rows of scaled-down channels scaled up by the same factor (the product is
    /// unchanged), rows of channels taken out zeroed (so they do not set their columns' scales).
    /// </summary>
    public float[] ApplyToWeights(float[] weights, int columns)
    {
        var result = (float[])weights.Clone();
        for (var i = 0; i < result.Length; i++)
        {
            var scale = InputScales[i / columns];
            result[i] = scale == 0f ? 0f : result[i] / scale;
        }
        return result;
    }

    /// <summary>The weight rows of the side channels, [side channels, columns], in full precision.</summary>
    public float[] SideRows(float[] weights, int columns) =>
        SideChannels.SelectMany(c => weights.AsSpan(c * columns, columns).ToArray()).ToArray();

    private static float Median(float[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted[sorted.Length / 2];
    }
}
