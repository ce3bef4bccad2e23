using System.Buffers.Binary;
using System.Globalization;

namespace DuckEmbed.Processor.Output;

/// <summary>
/// How one output table stores its vectors: the <see cref="VectorPrecision"/>, with its int8 ranges, the column type
/// it takes and the value a float vector becomes.
/// </summary>
internal sealed class VectorEncoding
{
    /// <summary>The provenance key of the precision; absent for float32 (as in tables made before there was a choice).</summary>
    public const string PrecisionKey = "vector_precision";

    private VectorEncoding(VectorPrecision precision, Int8Ranges? ranges)
    {
        Precision = precision;
        Ranges = ranges;
    }

    public static VectorEncoding Float32 { get; } = new(VectorPrecision.Float32, null);

    public static VectorEncoding Binary { get; } = new(VectorPrecision.Binary, null);

    public static VectorEncoding Int8(Int8Ranges ranges) => new(VectorPrecision.Int8, ranges);

    public static VectorEncoding BinaryInt8(Int8Ranges ranges) => new(VectorPrecision.BinaryInt8, ranges);

    /// <summary>Whether the vector column holds sign bits.</summary>
    public bool HasBits => Precision is VectorPrecision.Binary or VectorPrecision.BinaryInt8;

    /// <summary>Whether int8 codes are stored (the vector column's, or beside binary's bits), with calibrated ranges.</summary>
    public static bool HasInt8(VectorPrecision precision) => precision is VectorPrecision.Int8 or VectorPrecision.BinaryInt8;

    /// <summary>The column beside binary's bits that holds the int8 codes for rescoring.</summary>
    public static string RescoreColumn(string vectorColumn) => vectorColumn + "_int8";

    /// <summary>The encoding of <paramref name="precision"/> before its int8 ranges are known: its column types, not its values.</summary>
    public static VectorEncoding Unranged(VectorPrecision precision) => new(precision, null);

    public VectorPrecision Precision { get; }

    /// <summary>The int8 ranges; <c>null</c> for the other precisions.</summary>
    public Int8Ranges? Ranges { get; }

    public static string Name(VectorPrecision precision) => VectorPrecisionNames.Name(precision);

    /// <summary>The precision's entry in a provenance record (none for float32).</summary>
    public static void Describe(VectorPrecision precision, IDictionary<string, string> record)
    {
        if (precision != VectorPrecision.Float32)
        {
            record[PrecisionKey] = Name(precision);
        }
    }

    /// <summary>The precision a record says (float32 when it says none); <c>null</c> for a value no DuckEmbed writes.</summary>
    public static VectorPrecision? PrecisionOf(IReadOnlyDictionary<string, string> record) =>
        record.GetValueOrDefault(PrecisionKey) is { } name ? VectorPrecisionNames.Parse(name) : VectorPrecision.Float32;

    /// <summary>The encoding a table's record describes; <c>null</c> when it says int8 without readable ranges, or an unknown precision.</summary>
    public static VectorEncoding? Of(IReadOnlyDictionary<string, string> record) => PrecisionOf(record) switch
    {
        VectorPrecision.Float32 => Float32,
        VectorPrecision.Binary => Binary,
        VectorPrecision.Int8 => Int8Ranges.ReadFrom(record) is { } ranges ? Int8(ranges) : null,
        VectorPrecision.BinaryInt8 => Int8Ranges.ReadFrom(record) is { } ranges ? BinaryInt8(ranges) : null,
        _ => null,
    };

    /// <summary>64-bit words of a binary vector of <paramref name="dimensions"/>.</summary>
    public static int Words(int dimensions) => (dimensions + 63) / 64;

    /// <summary>The vector column's DuckDB type; float32 with <see cref="VectorColumnType.List"/> or no known dimensions is <c>FLOAT[]</c>.</summary>
    public string ColumnType(int? dimensions, VectorColumnType type) => (Precision, dimensions) switch
    {
        (VectorPrecision.Float32, { } n) when type == VectorColumnType.Array => $"FLOAT[{n}]",
        (VectorPrecision.Float32, _) => "FLOAT[]",
        (VectorPrecision.Int8, { } n) when type == VectorColumnType.Array => $"TINYINT[{n}]",
        (VectorPrecision.Binary or VectorPrecision.BinaryInt8, { } n) when type == VectorColumnType.Array => $"UBIGINT[{Words(n)}]",
        (VectorPrecision.Int8, _) => "TINYINT[]",
        _ => "UBIGINT[]",
    };

    /// <summary>
    /// One bit per dimension, set where the value is above zero (sentence-transformers' <c>embeddings &gt; 0</c>),
    /// packed as <c>numpy.packbits</c> does (the first dimension the highest bit) and read as big-endian words.
    /// </summary>
    public static ulong[] PackSigns(ReadOnlySpan<float> vector)
    {
        var words = new ulong[Words(vector.Length)];
        PackSigns(vector, words);
        return words;
    }

    /// <summary>The sign bits of <paramref name="vector"/> (as <c>PackSigns(vector)</c>) written into <paramref name="words"/> (<see cref="Words"/> of them).</summary>
    public static void PackSigns(ReadOnlySpan<float> vector, Span<ulong> words)
    {
        words.Clear();
        for (var d = 0; d < vector.Length; d++)
        {
            if (vector[d] > 0)
            {
                words[d / 64] |= 1UL << (63 - (d % 64));
            }
        }
    }

    /// <summary>Dimension <paramref name="d"/>'s bit in words packed by <see cref="PackSigns(ReadOnlySpan{float})"/>.</summary>
    public static bool Bit(IReadOnlyList<ulong> words, int d) => (words[d / 64] >> (63 - (d % 64)) & 1) == 1;

    /// <summary>The bytes of <paramref name="words"/> as sentence-transformers' <c>ubinary</c> has them.</summary>
    public static byte[] ToUbinary(IReadOnlyList<ulong> words, int dimensions)
    {
        var bytes = new byte[words.Count * 8];
        for (var w = 0; w < words.Count; w++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(w * 8), words[w]);
        }
        return bytes[..((dimensions + 7) / 8)];
    }

    /// <summary>The cosine of two float vectors, in doubles; NaN when their lengths differ.</summary>
    public static double Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length)
        {
            return double.NaN;
        }
        double dot = 0, na = 0, nb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * (double)b[i];
            na += a[i] * (double)a[i];
            nb += b[i] * (double)b[i];
        }
        return dot / Math.Sqrt(na * nb);
    }

    /// <summary>
    /// A float vector against a binary one: its cosine with the vector of ±1 the bits stand for (sentence-transformers'
    /// rescoring against stored bits ranks by the same dot product). Verify reports it as a binary output's floor.
    /// </summary>
    public static double BinaryScore(ReadOnlySpan<float> query, IReadOnlyList<ulong> words)
    {
        double dot = 0;
        for (var d = 0; d < query.Length; d++)
        {
            dot += Bit(words, d) ? query[d] : -query[d];
        }
        return dot / Math.Sqrt(query.Length);
    }

    /// <summary>
    /// For an int8 table: the query scaled by each dimension's step and the constant that together give
    /// <c>q · v</c> with v the stored codes turned back into floats (<c>min + step × (code + 128)</c>), summed in DuckDB
    /// as <c>array_inner_product(codes, scaled) + constant</c>.
    /// </summary>
    public (float[] Scaled, double Constant) Int8Query(ReadOnlySpan<float> query)
    {
        var ranges = Ranges!;
        var scaled = new float[query.Length];
        double constant = 0;
        for (var d = 0; d < query.Length; d++)
        {
            scaled[d] = query[d] * ranges.Steps[d];
            constant += query[d] * (ranges.Minimum[d] + 128.0 * ranges.Steps[d]);
        }
        return (scaled, constant);
    }

    /// <summary>The SQL that counts the bits in which <paramref name="column"/> differs from <paramref name="query"/>.</summary>
    public static string HammingDistance(string column, IReadOnlyList<ulong> query) =>
        string.Join(" + ", query.Select((word, w) => string.Create(CultureInfo.InvariantCulture,
            $"bit_count(xor({column}[{w + 1}], {word}::UBIGINT))::INTEGER")));
}
