// The Java Kafka client (kafka-clients, the jar the local stack's broker runs
// with) as a producer and consumer of another language: what a JVM or Kafka
// Connect service feeding PROTEA's topics writes, and what it reads of ours.
// Run as a single-file program (JDK 11+, jdk.compiler):
//
//   java -cp '<stack jars>/*' ForeignKafkaClient.java BOOTSTRAP JOB...
//
//   produce:TOPIC:CODEC:FILE  sends FILE's lines `partition<TAB>key<TAB>hex value`
//                             with compression.type=CODEC, flushed at once so
//                             each partition's records travel as one batch
//   consume:TOPIC:COUNT:FILE  reads COUNT records from the start of every
//                             partition of TOPIC (no group) and writes them to
//                             FILE as `partition<TAB>key<TAB>hex value` lines
//
// The jobs run in order in one JVM (one start-up for them all).
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class ForeignKafkaClient {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    for (int i = 1; i < args.length; i++) {
      String[] job = args[i].split(":", 4);
      if (job[0].equals("produce")) produce(bootstrap, job[1], job[2], Path.of(job[3]));
      else if (job[0].equals("consume")) consume(bootstrap, job[1], Integer.parseInt(job[2]), Path.of(job[3]));
      else throw new IllegalArgumentException("unknown job " + args[i]);
    }
  }

  static void produce(String bootstrap, String topic, String codec, Path file) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("compression.type", codec);
    p.put("acks", "all");
    p.put("linger.ms", "60000"); // nothing leaves before flush(): one batch per partition
    p.put("batch.size", String.valueOf(4 * 1024 * 1024));
    p.put("key.serializer", StringSerializer.class.getName());
    p.put("value.serializer", ByteArraySerializer.class.getName());
    HexFormat hex = HexFormat.of();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(p)) {
      List<java.util.concurrent.Future<?>> sent = new ArrayList<>();
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (line.isEmpty()) continue;
        String[] f = line.split("\t", 3);
        sent.add(producer.send(new ProducerRecord<>(topic, Integer.parseInt(f[0]), f[1], hex.parseHex(f[2]))));
      }
      producer.flush();
      for (java.util.concurrent.Future<?> s : sent) s.get(); // a refused record fails the run
    }
  }

  static void consume(String bootstrap, String topic, int count, Path file) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    p.put("enable.auto.commit", "false");
    p.put("key.deserializer", StringDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    HexFormat hex = HexFormat.of();
    List<String> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(p)) {
      List<TopicPartition> partitions = new ArrayList<>();
      consumer.partitionsFor(topic).forEach((info) -> partitions.add(new TopicPartition(topic, info.partition())));
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.currentTimeMillis() + 15_000;
      while (out.size() < count && System.currentTimeMillis() < deadline) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          out.add(r.partition() + "\t" + r.key() + "\t" + hex.formatHex(r.value()));
        }
      }
    }
    Files.write(file, out, StandardCharsets.UTF_8);
    if (out.size() < count) throw new IllegalStateException(topic + ": read " + out.size() + " of " + count + " records in 15 s");
  }
}
