/**
 * CIFAR-10 on the host: readers for the official binary batches and for image-folder trees
 * (both also straight from a .tar.gz), the in-memory {@link ember.data.ImageSet}, the reference
 * augmentation ({@link ember.data.Augment}) and the prefetching {@link ember.data.BatchLoader}.
 *
 * <p>Entry point: {@link ember.data.Cifar10#load(java.nio.file.Path)}. Every problem with the
 * data is a {@link ember.data.DatasetException} naming the file.
 */
package ember.data;
