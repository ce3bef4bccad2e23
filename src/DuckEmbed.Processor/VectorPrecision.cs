using System.Diagnostics.CodeAnalysis;
using DuckEmbed.Processor.Output;

namespace DuckEmbed.Processor;

/// <summary>How the output stores each vector (sentence-transformers' <c>quantize_embeddings</c> precisions).</summary>
public enum VectorPrecision
{
    /// <summary>The model's floats as they are: <c>FLOAT[N]</c> (or <c>FLOAT[]</c>), 4 bytes a dimension.</summary>
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "float32 is the precision's name, as in sentence-transformers")]
    Float32,

    /// <summary>
    /// <c>TINYINT[N]</c>, one byte a dimension: each dimension's range, from a calibration sample of the input, cut into
    /// 256 steps (<see cref="Int8Ranges"/>).
    /// </summary>
    [SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "int8 is the precision's name, as in sentence-transformers")]
    Int8,

    /// <summary>
    /// <c>UBIGINT[⌈N/64⌉]</c>, one bit a dimension (its sign), 64 to a word, the first dimension the highest bit of the
    /// first word: the bytes of sentence-transformers' <c>ubinary</c>, read big-endian eight at a time, so that
    /// DuckDB counts the bits two vectors differ in with <c>bit_count(xor(a[i], b[i]))</c>.
    /// </summary>
    Binary,

    /// <summary>
    /// <see cref="Binary"/>, and beside it the <see cref="Int8"/> codes in a column of their own
    /// (<c>{vector_column}_int8</c>), to rescore the bit search's candidates with: sentence-transformers' "binary
    /// index, int8 rescoring" set-up in one table: bits alone rank too coarsely to find float32's nearest rows again.
    /// </summary>
    BinaryInt8,
}
