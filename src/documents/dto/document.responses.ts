import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export class DocumentDto {
  @ApiProperty() document_id!: string;
  @ApiProperty() program_id!: string;
  @ApiProperty() source_index!: number;
  @ApiProperty() source_file_path!: string;
  @ApiProperty({ description: 's3:// URI of the processed JSON' }) s3_path!: string;
  @ApiProperty() title!: string;
  @ApiProperty() content_type!: string;
  @ApiProperty() characters!: number;
  @ApiProperty() chunk_count!: number;
  @ApiProperty() sha256!: string;
  @ApiProperty({ format: 'date-time' }) created_at!: string;
}

export class DocumentPageDto {
  @ApiProperty({ type: [DocumentDto] }) items!: DocumentDto[];
  @ApiPropertyOptional({ type: String, nullable: true }) next_cursor!: string | null;
}
