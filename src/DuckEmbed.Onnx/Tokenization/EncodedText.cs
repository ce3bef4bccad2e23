namespace DuckEmbed.Onnx.Tokenization;

/// <summary>The token ids of one text and whether truncation cut it.</summary>
/// <remarks>The ids may be a slice of a <see cref="TokenArena"/>'s chunk, valid while the arena is.</remarks>
internal readonly record struct EncodedText(ReadOnlyMemory<int> Ids, bool Truncated);
