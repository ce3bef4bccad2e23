using DuckEmbed.Onnx.Inference;
using DuckEmbed.Onnx.Tokenization;

namespace DuckEmbed.Onnx.Tests;

public sealed class LengthSortedBatchesTests
{
    private static EncodedText[] TextsOfLengths(params int[] lengths) =>
        lengths.Select(n => new EncodedText(new int[n], false)).ToArray();

    [Fact]
    public void Every_text_is_in_exactly_one_batch_and_batches_ascend_in_length()
    {
        var lengths = Enumerable.Range(0, 500).Select(i => 2 + (i * 7919 % 255)).ToArray();
        var texts = TextsOfLengths(lengths);

        var batches = LengthSortedBatches.Plan(texts, maxBatchSize: 32, maxBatchTokens: 2048).ToList();

        var all = batches.SelectMany(b => b).ToList();
        Assert.Equal(Enumerable.Range(0, 500), all.Order());
        var flatLengths = all.Select(i => lengths[i]).ToList();
        Assert.Equal(flatLengths.Order(), flatLengths);
    }

    [Fact]
    public void Short_texts_fill_the_batch_size_and_long_texts_are_cut_by_the_token_budget()
    {
        var texts = TextsOfLengths([.. Enumerable.Repeat(10, 64), .. Enumerable.Repeat(256, 64)]);

        var batches = LengthSortedBatches.Plan(texts, maxBatchSize: 32, maxBatchTokens: 4096).ToList();

        Assert.All(batches.Take(2), b => Assert.Equal(32, b.Count));
        Assert.All(batches.Skip(2), b => Assert.Equal(16, b.Count)); // 16 × 256 = 4096
        Assert.Equal(6, batches.Count);
    }

    [Fact]
    public void A_text_longer_than_the_budget_is_a_batch_of_its_own()
    {
        var texts = TextsOfLengths(5, 300, 6);

        var batches = LengthSortedBatches.Plan(texts, maxBatchSize: 8, maxBatchTokens: 100).Select(b => b.ToArray()).ToList();

        Assert.Equal([[0, 2], [1]], batches);
    }

    [Fact]
    public void Batches_of_equal_lengths_hold_one_token_count_each_within_the_size_and_the_budget()
    {
        var lengths = Enumerable.Range(0, 500).Select(i => 2 + (i * 7919 % 40)).Concat(Enumerable.Repeat(200, 30)).ToArray();
        var texts = TextsOfLengths(lengths);

        var batches = LengthSortedBatches.Plan(texts, maxBatchSize: 8, maxBatchTokens: 1000, equalLengths: true).ToList();

        Assert.Equal(Enumerable.Range(0, lengths.Length), batches.SelectMany(b => b).Order());
        Assert.All(batches, b => Assert.Single(b.Select(i => lengths[i]).Distinct()));
        Assert.All(batches, b => Assert.True(b.Count <= 8 && b.Count * lengths[b[0]] <= 1000));
        // Each length's texts fill as few batches as the size and budget allow: 40 lengths of 12–13 texts, 2 batches each; 30 of 200 tokens, 5 a batch.
        Assert.Equal(40 * 2 + 6, batches.Count);
    }
}
