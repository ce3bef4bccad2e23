using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.AI;

namespace DuckEmbed.Processor.Tests;

/// <summary>
/// A stand-in model: each text's vector is derived from its SHA-256, so a test can recompute what any row must
/// hold. <see cref="BeforeCall"/> lets a test cancel or fail the run at the n-th call.
/// </summary>
internal sealed class HashEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const int Dimensions = 8;

    public int Calls { get; private set; }

    public Action<int>? BeforeCall { get; init; }

    public static float[] VectorOf(string text)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        var vector = new float[Dimensions];
        for (var i = 0; i < Dimensions; i++)
        {
            vector[i] = hash[i] - 127.5f;
        }
        return vector;
    }

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values,
        EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        // Counted before the hook: "BeforeCall?.Invoke(++Calls)" would skip the count when there is no hook.
        var call = ++Calls;
        BeforeCall?.Invoke(call);
        cancellationToken.ThrowIfCancellationRequested();
        var texts = values.ToList();
        return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(texts.Select(t => new Embedding<float>(VectorOf(t))))
        {
            Usage = new UsageDetails { InputTokenCount = texts.Sum(t => t.Length) },
        });
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}
