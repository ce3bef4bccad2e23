using System.Diagnostics.CodeAnalysis;
using DuckDB.NET.Data;

namespace DuckEmbed.Processor.Output;

/// <summary>
/// Appends vectors as an <see cref="VectorEncoding"/> stores them, one writer's rows after another: float32 straight
/// from the generator's memory, int8 codes and sign bits through buffers reused for every row, so that nothing is
/// copied or allocated per row on the way to DuckDB's own vector. One per appender thread.
/// </summary>
[SuppressMessage("Reliability", "CA1001", Justification = "AppendableValues is disposable only because an enumerator must be; it holds nothing to release.")]
internal sealed class VectorAppender(VectorEncoding encoding)
{
    private readonly AppendableValues<float> _floats = new();
    private readonly AppendableValues<sbyte> _codes = new();
    private readonly AppendableValues<ulong> _bits = new();
    private sbyte[] _codeBuffer = [];
    private ulong[] _bitBuffer = [];

    /// <summary>Appends <paramref name="vector"/> to <paramref name="row"/> (binary+int8: its bits, then its codes).</summary>
    public void Append(IDuckDBAppenderRow row, ReadOnlyMemory<float> vector)
    {
        switch (encoding.Precision)
        {
            case VectorPrecision.Int8:
                row.AppendValue(Codes(vector.Span));
                break;
            case VectorPrecision.Binary:
                row.AppendValue(Bits(vector.Span));
                break;
            case VectorPrecision.BinaryInt8:
                row.AppendValue(Bits(vector.Span));
                row.AppendValue(Codes(vector.Span));
                break;
            default:
                row.AppendValue(_floats.Of(vector));
                break;
        }
    }

    /// <summary>Appends a row's missing vector (its text is NULL): a NULL in each vector column (binary+int8 has two).</summary>
    public void AppendNull(IDuckDBAppenderRow row)
    {
        row.AppendNullValue();
        if (encoding.Precision == VectorPrecision.BinaryInt8)
        {
            row.AppendNullValue();
        }
    }

    private AppendableValues<sbyte> Codes(ReadOnlySpan<float> vector)
    {
        if (_codeBuffer.Length != vector.Length)
        {
            _codeBuffer = new sbyte[vector.Length];
        }
        encoding.Ranges!.Quantize(vector, _codeBuffer);
        return _codes.Of(_codeBuffer);
    }

    private AppendableValues<ulong> Bits(ReadOnlySpan<float> vector)
    {
        var words = VectorEncoding.Words(vector.Length);
        if (_bitBuffer.Length != words)
        {
            _bitBuffer = new ulong[words];
        }
        VectorEncoding.PackSigns(vector, _bitBuffer);
        return _bits.Of(_bitBuffer);
    }
}
