namespace DuckEmbed.Onnx.Tokenization;

/// <summary>The token ids of one text and whether truncation cut it.</summary>
internal readonly record struct EncodedText(int[] Ids, bool Truncated);
