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

    /// <summary>Texts embedded over all calls.</summary>
    public int Texts { get; private set; }

    public Action<int>? BeforeCall { get; init; }

    /// <summary>Length of the vectors this instance makes (<see cref="Dimensions"/> unless a test wants real-model sizes).</summary>
    public int VectorLength { get; init; } = Dimensions;

    public static float[] VectorOf(string text) => VectorOf(text, Dimensions);

    public static float[] VectorOf(string text, int length)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        var vector = new float[length];
        for (var i = 0; i < length; i++)
        {
            vector[i] = hash[i % hash.Length] - 127.5f + i / 1000f;
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
        Texts += texts.Count;
        return Task.FromResult(new GeneratedEmbeddings<Embedding<float>>(texts.Select(t => new Embedding<float>(VectorOf(t, VectorLength))))
        {
            Usage = new UsageDetails { InputTokenCount = texts.Sum(t => t.Length) },
        });
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose() { }
}
