using System.Globalization;

namespace DuckEmbed.Processor.Output;

/// <summary>
/// Each dimension's range for int8 vectors, as sentence-transformers' <c>quantize_embeddings(precision="int8",
/// calibration_embeddings=…)</c> takes them: a value becomes <c>trunc((v − min) / ((max − min) / 255) − 128)</c>,
/// in float32. Unlike it, a value outside the range is clamped to −128…127 rather than wrapped by the integer
/// conversion. One set per output table, kept in its record: every later window, resume, shard and merge uses it.
/// </summary>
internal sealed class Int8Ranges
{
    /// <summary>The provenance keys the ranges are kept under.</summary>
    public const string MinimumKey = "int8_range_min";
    public const string MaximumKey = "int8_range_max";

    // Calibration rounds each end outward to a multiple of this (exact in float32): shards embedding the same sample
    // on other hardware get floats a few ulps apart, and the same ranges.
    private const float Grid = 1f / 1024;

    private readonly float[] _minimum;
    private readonly float[] _steps;

    private Int8Ranges(float[] minimum, float[] maximum)
    {
        _minimum = minimum;
        Maximum = maximum;
        _steps = new float[minimum.Length];
        for (var d = 0; d < minimum.Length; d++)
        {
            _steps[d] = (maximum[d] - minimum[d]) / 255f;
        }
    }

    public float[] Maximum { get; }

    public ReadOnlySpan<float> Minimum => _minimum;

    public ReadOnlySpan<float> Steps => _steps;

    public int Dimensions => _minimum.Length;

    /// <summary>The ranges as given, with no rounding (what sentence-transformers computes from its calibration set).</summary>
    public static Int8Ranges Of(float[] minimum, float[] maximum)
    {
        if (minimum.Length != maximum.Length || minimum.Length == 0)
        {
            throw new ArgumentException("The ranges need a minimum and a maximum for every dimension.");
        }
        return new Int8Ranges(minimum, maximum);
    }

    /// <summary>Each dimension's lowest and highest value over <paramref name="vectors"/>, rounded outward to 1/1024.</summary>
    public static Int8Ranges Calibrate(IReadOnlyList<ReadOnlyMemory<float>> vectors)
    {
        if (vectors.Count == 0)
        {
            throw new EmbeddingJobException(JobSetting.VectorPrecision, "int8 vectors need a calibration sample, and the input has no text to embed for one.");
        }
        var dimensions = vectors[0].Length;
        var minimum = Enumerable.Repeat(float.PositiveInfinity, dimensions).ToArray();
        var maximum = Enumerable.Repeat(float.NegativeInfinity, dimensions).ToArray();
        foreach (var vector in vectors)
        {
            var span = vector.Span;
            for (var d = 0; d < dimensions; d++)
            {
                minimum[d] = Math.Min(minimum[d], span[d]);
                maximum[d] = Math.Max(maximum[d], span[d]);
            }
        }
        for (var d = 0; d < dimensions; d++)
        {
            minimum[d] = MathF.Floor(minimum[d] / Grid) * Grid;
            maximum[d] = MathF.Ceiling(maximum[d] / Grid) * Grid;
            // A dimension that never varied in the sample still gets a range: a step of zero would divide by zero.
            if (maximum[d] <= minimum[d])
            {
                maximum[d] = minimum[d] + Grid;
            }
        }
        return new Int8Ranges(minimum, maximum);
    }

    /// <summary><paramref name="vector"/> in int8 codes.</summary>
    public sbyte[] Quantize(ReadOnlySpan<float> vector)
    {
        var codes = new sbyte[vector.Length];
        Quantize(vector, codes);
        return codes;
    }

    /// <summary><paramref name="vector"/> in int8 codes, written to <paramref name="codes"/> (as long as the vector).</summary>
    public void Quantize(ReadOnlySpan<float> vector, Span<sbyte> codes)
    {
        if (vector.Length != Dimensions)
        {
            throw new EmbeddingJobException(JobSetting.VectorPrecision, $"A vector of {vector.Length} dimensions cannot take int8 ranges of {Dimensions}.");
        }
        for (var d = 0; d < vector.Length; d++)
        {
            var scaled = (vector[d] - _minimum[d]) / _steps[d] - 128f;
            codes[d] = (sbyte)Math.Clamp(MathF.Truncate(scaled), -128f, 127f);
        }
    }

    /// <summary>The floats that int8 <paramref name="codes"/> stand for: <c>min + step × (code + 128)</c> in each dimension.</summary>
    public float[] StandsFor(IReadOnlyList<long> codes)
    {
        var values = new float[Math.Min(codes.Count, Dimensions)];
        for (var d = 0; d < values.Length; d++)
        {
            values[d] = _minimum[d] + _steps[d] * (codes[d] + 128);
        }
        return values;
    }

    /// <summary>The ranges in a record: every float written so that it reads back exactly.</summary>
    public void WriteTo(IDictionary<string, string> record)
    {
        record[MinimumKey] = string.Join(",", _minimum.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
        record[MaximumKey] = string.Join(",", Maximum.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));
    }

    /// <summary>The ranges kept in <paramref name="record"/>; <c>null</c> when it has none or they do not read.</summary>
    public static Int8Ranges? ReadFrom(IReadOnlyDictionary<string, string> record)
    {
        if (!record.TryGetValue(MinimumKey, out var low) || !record.TryGetValue(MaximumKey, out var high))
        {
            return null;
        }
        var minimum = Parse(low);
        var maximum = Parse(high);
        return minimum is null || maximum is null || minimum.Length != maximum.Length || minimum.Length == 0
            || minimum.Zip(maximum).Any(r => !(r.Second > r.First))
            ? null
            : new Int8Ranges(minimum, maximum);
    }

    private static float[]? Parse(string values)
    {
        var parts = values.Split(',');
        var parsed = new float[parts.Length];
        for (var i = 0; i < parts.Length; i++)
        {
            if (!float.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out parsed[i]) || !float.IsFinite(parsed[i]))
            {
                return null;
            }
        }
        return parsed;
    }
}
