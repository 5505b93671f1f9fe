# The kg server, built in one stage and run from a slim image as a non-root user.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY vendor vendor
COPY src src
COPY assets assets
COPY data/seed data/seed
COPY schema schema
RUN cargo build --release --locked --bin kg

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --create-home --home-dir /var/lib/kg kg
COPY --from=build /src/target/release/kg /usr/local/bin/kg
USER kg
WORKDIR /var/lib/kg
ENV KG_LISTEN=0.0.0.0:8080 \
    KG_DATA_DIR=/var/lib/kg/data
EXPOSE 8080
ENTRYPOINT ["kg"]
CMD ["serve"]
