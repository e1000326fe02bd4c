import { ApiProperty } from '@nestjs/swagger';

export class DocumentDto {
  @ApiProperty() document_id!: string;
  @ApiProperty() program_id!: string;
  @ApiProperty({ type: 'integer', minimum: 0 }) source_index!: number;
  @ApiProperty() source_file_path!: string;
  @ApiProperty({ description: 's3:// URI of the processed JSON' }) s3_path!: string;
  @ApiProperty() title!: string;
  @ApiProperty({ example: 'text/plain' }) content_type!: string;
  @ApiProperty({ type: 'integer', minimum: 0, description: 'of the extracted text' }) characters!: number;
  @ApiProperty({ type: 'integer', minimum: 0 }) chunk_count!: number;
  @ApiProperty({ pattern: '^[0-9a-f]{64}$', description: 'of the source bytes' }) sha256!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class DocumentPageDto {
  @ApiProperty({ type: [DocumentDto] }) items!: DocumentDto[];
  @ApiProperty({ type: String, nullable: true, description: 'null on the last page' }) next_cursor!: string | null;
}
