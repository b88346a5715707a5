-- A small shop for the sql tool: customers, products and their orders.
-- Portable SQL (H2 and PostgreSQL). Applied only when troupe.database.demo-data = true.
-- ${app_schema} is the application schema (the connection's current schema, quoted): Flyway runs this
-- in the journal schema, where the demo's history table lives.

CREATE TABLE ${app_schema}.customers (
  id INTEGER PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  email VARCHAR(200) NOT NULL UNIQUE,
  country CHAR(2) NOT NULL,
  signed_up DATE NOT NULL
);

CREATE TABLE ${app_schema}.products (
  id INTEGER PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  category VARCHAR(50) NOT NULL,
  price DECIMAL(10, 2) NOT NULL
);

CREATE TABLE ${app_schema}.orders (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES ${app_schema}.customers (id),
  product_id INTEGER NOT NULL REFERENCES ${app_schema}.products (id),
  quantity INTEGER NOT NULL,
  status VARCHAR(20) NOT NULL,
  ordered_at TIMESTAMP NOT NULL
);

CREATE INDEX orders_customer_idx ON ${app_schema}.orders (customer_id);
CREATE INDEX orders_product_idx ON ${app_schema}.orders (product_id);

INSERT INTO ${app_schema}.customers (id, name, email, country, signed_up) VALUES
  (1, 'Ada Lovelace', 'ada@example.com', 'GB', DATE '2024-01-15'),
  (2, 'Alan Turing', 'alan@example.com', 'GB', DATE '2024-02-03'),
  (3, 'Grace Hopper', 'grace@example.com', 'US', DATE '2024-02-20'),
  (4, 'Edsger Dijkstra', 'edsger@example.com', 'NL', DATE '2024-03-11'),
  (5, 'Barbara Liskov', 'barbara@example.com', 'US', DATE '2024-04-02'),
  (6, 'Donald Knuth', 'don@example.com', 'US', DATE '2024-04-28'),
  (7, 'Margaret Hamilton', 'margaret@example.com', 'US', DATE '2024-05-19'),
  (8, 'Tim Berners-Lee', 'tim@example.com', 'GB', DATE '2024-06-07'),
  (9, 'Niklaus Wirth', 'niklaus@example.com', 'CH', DATE '2024-07-22'),
  (10, 'Frances Allen', 'frances@example.com', 'US', DATE '2024-08-30'),
  (11, 'Hedy Lamarr', 'hedy@example.com', 'AT', DATE '2024-09-14'),
  (12, 'Linus Torvalds', 'linus@example.com', 'FI', DATE '2024-10-05');

INSERT INTO ${app_schema}.products (id, name, category, price) VALUES
  (1, 'Mechanical keyboard', 'peripherals', 129.00),
  (2, 'Wireless mouse', 'peripherals', 39.90),
  (3, '27-inch monitor', 'displays', 289.00),
  (4, 'USB-C dock', 'accessories', 149.50),
  (5, 'Noise-cancelling headphones', 'audio', 219.00),
  (6, 'Webcam HD', 'peripherals', 74.99),
  (7, 'Laptop stand', 'accessories', 45.00),
  (8, 'Portable SSD 1TB', 'storage', 109.00),
  (9, 'Desk lamp', 'accessories', 32.50),
  (10, 'Ergonomic chair', 'furniture', 399.00);

INSERT INTO ${app_schema}.orders (id, customer_id, product_id, quantity, status, ordered_at) VALUES
  (1, 6, 3, 2, 'delivered', TIMESTAMP '2025-01-03 16:06:00'),
  (2, 6, 10, 1, 'cancelled', TIMESTAMP '2025-01-07 08:05:00'),
  (3, 7, 7, 1, 'delivered', TIMESTAMP '2025-01-03 16:27:00'),
  (4, 1, 10, 1, 'delivered', TIMESTAMP '2025-01-21 18:37:00'),
  (5, 1, 10, 2, 'shipped', TIMESTAMP '2025-02-02 11:02:00'),
  (6, 9, 3, 1, 'shipped', TIMESTAMP '2025-02-05 16:07:00'),
  (7, 10, 5, 2, 'delivered', TIMESTAMP '2025-02-04 17:36:00'),
  (8, 11, 4, 1, 'delivered', TIMESTAMP '2025-02-18 19:04:00'),
  (9, 10, 1, 2, 'delivered', TIMESTAMP '2025-03-16 18:34:00'),
  (10, 7, 6, 2, 'pending', TIMESTAMP '2025-03-12 12:15:00'),
  (11, 3, 4, 1, 'delivered', TIMESTAMP '2025-03-17 15:56:00'),
  (12, 6, 8, 1, 'delivered', TIMESTAMP '2025-04-04 16:26:00'),
  (13, 3, 6, 1, 'pending', TIMESTAMP '2025-04-14 08:42:00'),
  (14, 2, 9, 2, 'shipped', TIMESTAMP '2025-04-11 19:22:00'),
  (15, 10, 8, 2, 'pending', TIMESTAMP '2025-04-03 09:17:00'),
  (16, 8, 2, 1, 'delivered', TIMESTAMP '2025-05-21 17:43:00'),
  (17, 8, 5, 3, 'shipped', TIMESTAMP '2025-05-22 13:01:00'),
  (18, 8, 6, 1, 'delivered', TIMESTAMP '2025-05-16 08:13:00'),
  (19, 5, 3, 3, 'delivered', TIMESTAMP '2025-05-13 14:58:00'),
  (20, 8, 2, 1, 'pending', TIMESTAMP '2025-06-13 16:17:00'),
  (21, 3, 7, 2, 'delivered', TIMESTAMP '2025-06-23 14:22:00'),
  (22, 11, 7, 1, 'delivered', TIMESTAMP '2025-06-03 10:09:00'),
  (23, 4, 4, 1, 'pending', TIMESTAMP '2025-07-27 17:11:00'),
  (24, 5, 5, 1, 'delivered', TIMESTAMP '2025-07-14 16:23:00'),
  (25, 10, 10, 1, 'delivered', TIMESTAMP '2025-07-23 16:39:00'),
  (26, 11, 1, 2, 'cancelled', TIMESTAMP '2025-07-13 14:25:00'),
  (27, 7, 2, 2, 'shipped', TIMESTAMP '2025-08-02 11:04:00'),
  (28, 4, 8, 1, 'delivered', TIMESTAMP '2025-08-11 17:03:00'),
  (29, 2, 1, 2, 'delivered', TIMESTAMP '2025-08-18 09:23:00'),
  (30, 10, 1, 1, 'delivered', TIMESTAMP '2025-08-20 14:09:00'),
  (31, 11, 5, 1, 'shipped', TIMESTAMP '2025-09-16 09:07:00'),
  (32, 8, 8, 2, 'pending', TIMESTAMP '2025-09-10 09:09:00'),
  (33, 2, 6, 3, 'delivered', TIMESTAMP '2025-09-16 19:10:00'),
  (34, 9, 1, 1, 'cancelled', TIMESTAMP '2025-10-12 10:44:00'),
  (35, 9, 1, 2, 'delivered', TIMESTAMP '2025-10-21 09:44:00'),
  (36, 5, 9, 1, 'delivered', TIMESTAMP '2025-10-12 20:14:00'),
  (37, 9, 9, 2, 'shipped', TIMESTAMP '2025-10-21 11:39:00'),
  (38, 4, 4, 2, 'delivered', TIMESTAMP '2025-11-07 16:31:00'),
  (39, 6, 1, 1, 'delivered', TIMESTAMP '2025-11-16 12:12:00'),
  (40, 12, 10, 1, 'pending', TIMESTAMP '2025-11-26 19:22:00');
